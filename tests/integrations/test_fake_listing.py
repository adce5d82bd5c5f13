"""The fake lists calls and messages by number and time, paged, as Twilio's REST API does; the
adapter reads them with the real twilio library (`calls_to`, `messages_to`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from integrations.fake_twilio import FakeTwilio
from integrations.fake_twilio.state import CallRecord, MessageRecord, new_sid
from integrations.twilio import TwilioTelephony
from tests.integrations.conftest import ACCOUNT_SID, LINE, STAFF

START = datetime(2027, 1, 8, 22, 0, tzinfo=UTC)
OTHER_LINE = "+441534700102"


def _call(to: str, at: datetime, *, parent: str | None = None) -> CallRecord:
    return CallRecord(
        sid=new_sid("CA"), account_sid=ACCOUNT_SID, to=to, from_="+441534700201",
        direction="inbound" if parent is None else "outbound-dial", status="completed",
        parent_sid=parent, created=at, updated=at,
    )  # fmt: skip


def _text(to: str, at: datetime, body: str) -> MessageRecord:
    return MessageRecord(
        sid=new_sid("SM"), account_sid=ACCOUNT_SID, to=to, from_="+447797950000", body=body,
        direction="inbound", status="received", created=at, updated=at,
    )  # fmt: skip


async def test_calls_to_a_number_since_a_time_every_page(
    adapter: TwilioTelephony, fake: FakeTwilio
) -> None:
    calls = [_call(LINE, START + timedelta(minutes=n)) for n in range(130)]  # three pages
    calls += [_call(OTHER_LINE, START + timedelta(minutes=90))]
    calls += [_call(STAFF, START + timedelta(minutes=90), parent=calls[0].sid)]
    for call in calls:
        fake.calls[call.sid] = call
    since = START + timedelta(minutes=10)
    found = await adapter.calls_to(LINE, since=since)
    assert len(found) == 120  # minutes 10 to 129, on or after `since`
    assert {c.sid for c in found} == {c.sid for c in calls[10:130]}
    assert all(c.to == LINE and c.from_ == "+441534700201" for c in found)
    assert min(c.started_at for c in found if c.started_at) == since
    assert await adapter.calls_to(LINE, since=START + timedelta(days=1)) == []


async def test_inbound_messages_to_a_number_since_a_time(
    adapter: TwilioTelephony, fake: FakeTwilio
) -> None:
    texts = [
        _text(LINE, START, "before"),
        _text(LINE, START + timedelta(hours=1), "after"),
        _text(OTHER_LINE, START + timedelta(hours=1), "another line"),
    ]
    for text in texts:
        fake.messages[text.sid] = text
    found = await adapter.messages_to(LINE, since=START + timedelta(minutes=30))
    assert [(m.body, m.to, m.received_at) for m in found] == [
        ("after", LINE, START + timedelta(hours=1))
    ]
