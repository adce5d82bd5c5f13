"""Escalation under failure: crashes mid-step and mid-send, Twilio errors, two replicas.

Nothing is mocked: the service runs with the fake Twilio mounted, the loops are switched off and
each test runs passes itself (a "replica" is a scheduler and sender with an engine of its own).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from integrations.telephony import SentMessage
from integrations.twilio import TwilioTelephony, WebhookUrls
from oncall import keys
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import Alert, AlertKind, CallerType, Channel, Line, OutboundMessage
from oncall.domain.contacts import CallerIdentity, open_contact
from oncall.domain.escalation import (
    EscalationScheduler,
    WorkerConfig,
    alert_sender,
    claim_due,
    perform_step,
    raise_alert,
    update_policy,
)
from oncall.domain.outbox import SenderConfig
from oncall.domain.outbox import queue as outbox
from tests.e2e.conftest import FRIDAY_NIGHT, ServerFactory, Service
from tests.e2e.test_escalation_support import escalation_service, texts_to, tick

POLICE = CallerIdentity(CallerType.POLICE, "Police HQ control room", "police")


@pytest.fixture
async def escalated(aiohttp_server: ServerFactory, database: Database) -> Service:
    return await escalation_service(aiohttp_server, database, ManualClock(FRIDAY_NIGHT))


@pytest.fixture
async def on_sqlite(aiohttp_server: ServerFactory, sqlite_url: str) -> AsyncIterator[Service]:
    """Provider faults do not depend on the database: one run on SQLite keeps the suite quick."""
    database = Database.connect(sqlite_url)
    try:
        yield await escalation_service(aiohttp_server, database, ManualClock(FRIDAY_NIGHT))
    finally:
        await database.dispose()


async def _sms_only(service: Service, *, repeat: int = 2) -> None:
    """A policy without alert calls, so each message is one text (simpler to count)."""
    async with service.database.sessions() as session:
        await update_policy(
            session, line_id=None, kind=AlertKind.MISSED_CALL, repeat=repeat,
            now=service.clock.now(), by="test", steps=[
                {"targets": ["duty_worker"], "channels": ["sms"], "wait_minutes": 5},
                {"targets": ["senior_manager"], "channels": ["sms"], "wait_minutes": 10},
            ],
        )  # fmt: skip
        await session.commit()


async def _alerts(service: Service, n: int) -> list[int]:
    """`n` missed police calls raised at once (written straight in, as routing would)."""
    now = service.clock.now()
    ids = []
    async with service.database.sessions() as session:
        line = await session.scalar(select(Line).where(Line.kind == "police"))
        for i in range(n):
            contact = await open_contact(
                session, channel=Channel.VOICE, line=line, caller_number="+441534700201",
                caller=POLICE, provider_sid=f"CAtest{i:06d}", at=now, zone_year=2027,
            )  # fmt: skip
            ids.append((await raise_alert(session, contact, kind=AlertKind.MISSED_CALL, at=now)).id)
        await session.commit()
    return ids


async def _rows(service: Service) -> list[OutboundMessage]:
    async with service.database.sessions() as session:
        return list(await session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


async def test_scheduler_crash_mid_step_loses_nothing_and_sends_once(escalated: Service) -> None:
    service = escalated
    await _sms_only(service)
    (alert_id,) = await _alerts(service, 1)
    zone = service.settings.zone
    # A replica claims the alert, writes the step's rows … and dies before committing.
    async with service.database.sessions() as session:
        (alert,) = await claim_due(session, now=service.clock.now(), limit=10)
        await perform_step(session, alert, now=service.clock.now(), zone=zone)
        await session.rollback()
    assert await _rows(service) == []
    # A fresh scheduler (a restart: new engine, new objects) finds the step still due.
    restarted = Database.connect(service.settings.database_url)
    try:
        scheduler = EscalationScheduler(restarted.sessions, service.clock, WorkerConfig(zone=zone))
        await scheduler.run_once()
        await scheduler.run_once()  # and running again changes nothing
    finally:
        await restarted.dispose()
    await service.app[keys.SENDER].run_once(service.clock.now())
    await service.fake.settle()
    assert len(texts_to(service, "sw002")) == 1
    # Stopped for 20 minutes mid-escalation: on restart each step runs once, in order.
    await service.clock.advance(20 * 60)
    for _ in range(3):
        await tick(service)
    assert len(texts_to(service, "sw002")) == 1
    assert len(texts_to(service, "sm002")) == 1
    await tick(service, minutes=10)
    assert len(texts_to(service, "sw002")) == 2  # round two, after the full wait
    dedupe = [r.dedupe_key for r in await _rows(service)]
    assert len(dedupe) == len(set(dedupe)) == 3
    async with service.database.sessions() as session:
        after = await session.get(Alert, alert_id)
    assert after is not None and (after.round, after.step_index) == (1, 1)


async def test_sender_crash_after_claim_is_not_resent_and_escalates(escalated: Service) -> None:
    service = escalated
    await _sms_only(service)
    await _alerts(service, 1)
    await service.app[keys.SCHEDULER].run_once()
    # A sender leases the duty worker's text (committed) and is killed before Twilio answers.
    async with service.database.sessions() as session:
        claimed = await outbox.claim_due(
            session, now=service.clock.now(), limit=10, lease=timedelta(seconds=60), per_minute=6
        )
        await session.commit()
    assert len(claimed) == 1
    await service.app[keys.SENDER].run_once(
        service.clock.now()
    )  # the lease still holds: nobody else touches it
    assert texts_to(service, "sw002") == []
    await tick(service, minutes=1.5)  # lease expired: failed (outcome unknown), escalate now
    await tick(service)  # the next scheduler pass, in the same minute
    assert texts_to(service, "sw002") == []  # at most once: not re-sent
    assert len(texts_to(service, "sm002")) == 1  # the senior manager is told at once
    (row, *_) = await _rows(service)
    assert row.status == "failed" and "outcome unknown" in row.last_error


class _FirstTextBreaks(TwilioTelephony):
    """A Twilio client whose first text raises what no client should (a bug, an unexpected
    answer): one message of a batch that fails unexpectedly."""

    texts = 0

    async def send_sms(
        self, *, to: str, from_: str, body: str, status_callback: str | None = None
    ) -> SentMessage:
        self.texts += 1
        if self.texts == 1:
            raise RuntimeError("unexpected answer")
        await asyncio.sleep(0.05)  # the other text is still on its way when the first fails
        return await super().send_sms(
            to=to, from_=from_, body=body, status_callback=status_callback
        )


async def test_a_text_failing_unexpectedly_does_not_lose_its_batch_s_acceptances(
    on_sqlite: Service,
) -> None:
    """A send that raises something unexpected ends the pass (the runner logs it and tries
    again), but the texts of its batch that Twilio accepted keep their SIDs: before, the pass
    ended at the first exception and they stayed `sending` until their lease ran out, then were
    marked failed ("outcome unknown") and escalated, although they had been sent."""
    service = on_sqlite
    await _sms_only(service)
    await _alerts(service, 2)
    await service.app[keys.SCHEDULER].run_once()
    # No status callback comes to find the row either (lost, or not yet sent by Twilio).
    service.fake.faults.lose_status_callbacks(service.phones["sw002"])
    settings = service.settings
    telephony = _FirstTextBreaks(
        account_sid=settings.account_sid, auth_token=settings.auth_tokens[0],
        api_base=settings.rest_api_base,
    )  # fmt: skip
    sender = alert_sender(
        service.database.sessions, telephony, SenderConfig(WebhookUrls(settings.public_url))
    )
    try:
        with pytest.raises(RuntimeError, match="unexpected answer"):
            await sender.run_once(service.clock.now())
        for _ in range(500):  # before, the other send went on by itself after the pass ended
            if texts_to(service, "sw002"):
                break
            await asyncio.sleep(0.01)
    finally:
        await telephony.close()
    await service.fake.settle()
    assert len(texts_to(service, "sw002")) == 1
    rows = await _rows(service)
    sent = [r for r in rows if r.provider_sid is not None]
    assert len(sent) == 1 and sent[0].status == "queued"
    (unknown,) = [r for r in rows if r.provider_sid is None]
    assert unknown.status == "sending"  # left to its lease: at most once


@pytest.mark.parametrize(
    ("arm", "retried"),
    [
        (lambda f: f.fail_next(2, status=500, resource="Messages"), 2),
        (lambda f: f.fail_next(1, status=503, resource="Messages"), 1),
        (lambda f: f.rate_limit_next(1, retry_after_s=30, resource="Messages"), 1),
        (lambda f: f.hang_next(1, seconds=0.5, resource="Messages"), 1),
    ],
    ids=["500", "503", "429", "timeout"],
)
async def test_twilio_errors_are_retried_with_backoff(
    on_sqlite: Service, arm: object, retried: int
) -> None:
    service = on_sqlite
    await _sms_only(service)
    await _alerts(service, 1)
    arm(service.fake.faults)  # type: ignore[operator]
    await tick(service)
    assert texts_to(service, "sw002") == []
    (row,) = await _rows(service)
    assert row.status == "pending" and row.attempts == 1 and row.last_error
    first_wait = (row.next_attempt_at - service.clock.now()).total_seconds()  # type: ignore[operator]
    assert first_wait >= 5
    for _ in range(retried):
        await tick(service, minutes=1)
    assert len(texts_to(service, "sw002")) == 1
    (row,) = await _rows(service)
    assert row.status == "delivered" and row.attempts == retried + 1


async def test_429_honours_retry_after(on_sqlite: Service) -> None:
    service = on_sqlite
    await _sms_only(service)
    await _alerts(service, 1)
    service.fake.faults.rate_limit_next(1, retry_after_s=45, resource="Messages")
    await tick(service)
    (row,) = await _rows(service)
    assert row.next_attempt_at == service.clock.now() + timedelta(seconds=45)


async def test_a_rejected_number_fails_at_once_and_escalates(on_sqlite: Service) -> None:
    service = on_sqlite
    await _sms_only(service)
    await _alerts(service, 1)
    service.fake.faults.fail_next(1, status=400, resource="Messages")
    await tick(service)
    await tick(service)
    assert len(texts_to(service, "sm002")) == 1
    statuses = Counter(r.status for r in await _rows(service))
    assert statuses == {"failed": 1, "delivered": 1}


async def test_per_number_throttle_defers_but_never_drops(on_sqlite: Service) -> None:
    service = on_sqlite
    await _sms_only(service)
    await _alerts(service, 9)  # nine alerts at once for the same duty worker
    await tick(service)
    assert len(texts_to(service, "sw002")) == 6  # ONCALL_SMS_PER_MINUTE_PER_NUMBER
    await tick(service, minutes=1)
    assert len(texts_to(service, "sw002")) == 9


@pytest.mark.postgres
@pytest.mark.slow
async def test_two_replicas_send_every_text_exactly_once(escalated: Service, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("replicas coordinate through PostgreSQL (SQLite is single-process)")
    service = escalated
    await _sms_only(service)
    n = 20
    await _alerts(service, n)
    zone = service.settings.zone
    replicas = []
    for _ in range(2):
        db = Database.connect(service.settings.database_url)
        telephony = TwilioTelephony(
            account_sid=service.settings.account_sid,
            auth_token=service.settings.auth_tokens[0],
            api_base=service.settings.rest_api_base,
        )
        scheduler = EscalationScheduler(db.sessions, service.clock, WorkerConfig(zone=zone))
        sender = alert_sender(
            db.sessions, telephony,
            SenderConfig(WebhookUrls(service.settings.public_url), batch=7, per_minute=100),
        )  # fmt: skip
        replicas.append((db, telephony, scheduler, sender))
    try:
        for minutes in (0, 5, 10, 5, 10, 1):  # both rounds, then the final step
            await service.clock.advance(minutes * 60)
            now = service.clock.now()
            await asyncio.gather(*(r[2].run_once(now) for r in replicas))
            await asyncio.gather(*(r[3].run_once(now) for r in replicas))
            await service.fake.settle()
    finally:
        for db, telephony, *_ in replicas:
            await telephony.close()
            await db.dispose()
    sent = [m for m in service.fake.outbound_messages() if m.direction == "outbound-api"]
    rows = await _rows(service)
    # Per alert: duty worker, manager, twice; then eight managers. No duplicates, none lost.
    assert len(rows) == n * (4 + 8)
    assert len(sent) == len(rows)
    assert Counter(r.status for r in rows) == {"delivered": len(rows)}
    assert len({r.provider_sid for r in rows}) == len(rows)
    assert {m.sid for m in sent} == {r.provider_sid for r in rows}
    async with service.database.sessions() as session:
        steps = await session.scalar(
            select(func.count()).select_from(Alert).where(Alert.next_action_at.is_(None))
        )
    assert steps == n
