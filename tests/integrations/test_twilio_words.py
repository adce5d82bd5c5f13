"""Twilio's status words in ours: every word its documentation lists, and the ones it may add."""

from __future__ import annotations

import pytest

from integrations.telephony import CallProgress, Delivery, DialOutcome
from integrations.twilio.words import call_progress, delivery, dial_outcome


@pytest.mark.parametrize(
    ("word", "ours"),
    [
        ("accepted", Delivery.QUEUED),  # taken by a Messaging Service
        ("scheduled", Delivery.QUEUED),
        ("queued", Delivery.QUEUED),
        ("sending", Delivery.QUEUED),
        ("sent", Delivery.SENT),
        ("delivered", Delivery.DELIVERED),
        ("undelivered", Delivery.UNDELIVERED),
        ("failed", Delivery.FAILED),
        ("canceled", None),  # a scheduled text called off: never ours
        ("read", None),
        ("received", None),  # inbound words
        ("partially_delivered", None),
        ("", None),
    ],
)
def test_message_status_words(word: str, ours: Delivery | None) -> None:
    assert delivery(word) is ours


@pytest.mark.parametrize(
    ("word", "ours", "ended"),
    [
        ("initiated", CallProgress.QUEUED, False),  # the StatusCallbackEvent of a placed call
        ("queued", CallProgress.QUEUED, False),
        ("ringing", CallProgress.RINGING, False),
        ("in-progress", CallProgress.IN_PROGRESS, False),
        ("completed", CallProgress.COMPLETED, True),
        ("busy", CallProgress.BUSY, True),
        ("no-answer", CallProgress.NO_ANSWER, True),
        ("failed", CallProgress.FAILED, True),
        ("canceled", CallProgress.CANCELED, True),
    ],
)
def test_call_status_words(word: str, ours: CallProgress, ended: bool) -> None:
    progress = call_progress(word)
    assert progress is ours and progress.ended == ended


@pytest.mark.parametrize("word", ["answered-machine", "COMPLETED", "in progress", ""])
def test_call_and_dial_words_we_do_not_know_are_none(word: str) -> None:
    assert call_progress(word) is None and dial_outcome(word) is None


@pytest.mark.parametrize(
    ("word", "picked_up"),
    [
        ("completed", True),  # also a voicemail box that answered: not an acceptance
        ("answered", True),
        ("busy", False),
        ("no-answer", False),
        ("failed", False),
        ("canceled", False),
    ],
)
def test_dial_call_status_words(word: str, picked_up: bool) -> None:
    outcome = dial_outcome(word)
    assert isinstance(outcome, DialOutcome) and outcome.picked_up == picked_up
