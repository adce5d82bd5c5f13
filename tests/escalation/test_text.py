"""Texts to staff: GSM-7 and segment counting, one segment, no child's details."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from oncall.domain.texts.gsm7 import encoding_of, fit, is_gsm7, to_gsm7
from oncall.domain.texts.staff import (
    HELP_TEXT,
    AlertFacts,
    acknowledged_reply,
    alert_sms,
    shift_request,
)

JERSEY = ZoneInfo("Europe/Jersey")
AT = datetime(2027, 1, 9, 2, 14, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "gsm7", "units", "segments"),
    [
        ("", True, 0, 1),
        ("a" * 160, True, 160, 1),
        ("a" * 161, True, 161, 2),
        ("a" * 306, True, 306, 2),  # 2 x 153
        ("a" * 307, True, 307, 3),
        ("€" * 80, True, 160, 1),  # the extension table costs two septets each
        ("[" * 81, True, 162, 2),
        ("Querée Le Brocq, £5 @ 17:00", True, 27, 1),
        ("17:00–09:00", False, 11, 1),  # an en dash is not GSM-7: the whole text goes UCS-2
        ("ü" * 70 + "ł", False, 71, 2),  # ł is not GSM-7; 67 per segment when split
        ("😀" * 35, False, 70, 1),  # outside the BMP: two UTF-16 units each
    ],
)
def test_encoding_and_segments(text: str, gsm7: bool, units: int, segments: int) -> None:
    assert encoding_of(text) == (encoding_of(text).__class__(gsm7, units, segments))
    assert is_gsm7(text) is gsm7


def test_to_gsm7_replaces_lookalikes_and_strips_what_it_cannot_keep() -> None:
    assert to_gsm7("17:00–09:00 “quoted” it’s…") == '17:00-09:00 "quoted" it\'s...'
    assert to_gsm7("Łukasz Wójcik") == "Lukasz Wojcik"
    assert to_gsm7("é stays, 中 does not") == "é stays, ? does not"


def test_fit_cuts_to_one_segment() -> None:
    text = fit("x" * 400)
    assert encoding_of(text).segments == 1 and text.endswith("..")


def test_alert_text_is_the_documented_shape_in_one_segment() -> None:
    facts = AlertFacts("0412", "call missed", "Police HQ", "Police HQ control room", AT)
    assert alert_sms(facts, JERSEY) == "OOH-0412 Police HQ call missed 02:14. Reply ACK 0412"
    with_number = AlertFacts(
        "0412", "call missed", "Police HQ", "Police HQ", AT, callback="+44 1534 700201"
    )
    text = alert_sms(with_number, JERSEY, reminder=True)
    assert text.startswith("REMINDER OOH-0412") and "+44 1534 700201" in text
    assert encoding_of(text).gsm7 and encoding_of(text).segments == 1


def test_long_names_still_fit_and_keep_the_action() -> None:
    facts = AlertFacts(
        "A1234", "shift not confirmed", "", "", AT, about="Ẅilhelmina " + "Long-Surname " * 10
    )
    text = alert_sms(facts, JERSEY)
    assert encoding_of(text).segments == 1 and encoding_of(text).gsm7


def test_replies_fit_in_one_segment() -> None:
    facts = AlertFacts("0412", "call missed", "Police HQ", "Police HQ control room", AT,
                       callback="+44 1534 700201")  # fmt: skip
    reply = acknowledged_reply(facts, AT, JERSEY)
    assert reply.startswith("0412 acknowledged by you at 02:14. Police HQ control room, call back")
    for text in (reply, HELP_TEXT):
        assert encoding_of(text).gsm7 and encoding_of(text).segments == 1


def test_shift_request_is_gsm7_in_summer_time() -> None:
    start = datetime(2027, 7, 2, 16, 0, tzinfo=UTC)  # 17:00 BST
    end = datetime(2027, 7, 3, 8, 0, tzinfo=UTC)
    text = shift_request(start, end, ["Police", "Hospital", "Foster"], JERSEY)
    assert text == (
        "You are on call tonight 17:00-09:00 (Police, Hospital, Foster lines). "
        "Reply YES to confirm."
    )
    assert encoding_of(text).gsm7
