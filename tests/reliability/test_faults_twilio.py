"""Twilio's REST API failing under two replica processes: 500s, 429, and answers that never come.

tests/e2e/test_escalation_durability.py covers each fault in one process; here the texts go out
over real HTTP from two replica processes, so retries may be taken by either sender. Both replicas'
REST clients give up after 2 s, so a lost answer costs two seconds of wall time.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from oncall.db.engine import Database
from oncall.db.models import Event, OutboundMessage
from oncall.domain.chain import verify_chain
from tests.e2e.conftest import FRIDAY_NIGHT
from tests.reliability.faults_support.cluster import Cluster, start_cluster, wait_until
from tests.reliability.faults_support.night import outbox_id, seed_night
from tests.support import truncate_all

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

T0 = FRIDAY_NIGHT
TEXTS = 4


@pytest.fixture
def pg_url(postgres_database: str) -> str:
    asyncio.run(truncate_all(postgres_database))
    return postgres_database


async def _rows(database: Database) -> list[OutboundMessage]:
    async with database.sessions() as session:
        return list(await session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


async def _in_flight(cluster: Cluster, faults: int) -> bool:
    """`faults` armed faults left, and no text being sent."""
    rows = await _rows(cluster.database)
    return len(cluster.fake.faults.faults) == faults and all(r.status != "sending" for r in rows)


async def _settled(cluster: Cluster, *, delivered: int) -> bool:
    """`delivered` texts delivered and their deliveries logged, none in flight or waiting."""
    rows = await _rows(cluster.database)
    return sum(r.status == "delivered" for r in rows) == delivered == len(rows) and all(
        r.status_logged == r.status for r in rows
    )


async def test_500_429_and_lost_answers_are_retried_and_sent_once(
    pg_url: str, tmp_path: Path
) -> None:
    seeding = Database.connect(pg_url)
    try:
        await seed_night(seeding, alerts=TEXTS, at=T0)
    finally:
        await seeding.dispose()
    async with (
        asyncio.timeout(60),
        start_cluster(
            pg_url, tmp_path, start=T0 - timedelta(minutes=1), rest_timeout=2.0,
            extra_env={"ONCALL_SMS_PER_MINUTE_PER_NUMBER": "60"},  # one phone gets every text
        ) as cluster,
    ):  # fmt: skip
        try:
            await _scenario(cluster)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{cluster.logs()}") from exc


async def _scenario(cluster: Cluster) -> None:
    fake, db = cluster.fake, cluster.database
    faults = fake.faults
    # The four first texts meet, in whatever order they arrive: two 500s, a 429 asking for 30 s,
    # and a text Twilio sends whose answer is lost (its status callbacks still come). The next
    # request after those is sent and its answer lost, and its callbacks too.
    faults.fail_next(2, status=500, resource="Messages")
    faults.rate_limit_next(1, retry_after_s=30, resource="Messages")
    faults.lose_response_next(1, seconds=4, resource="Messages")
    faults.lose_response_next(1, seconds=4, resource="Messages", callbacks=False)
    await cluster.set_clock(T0)
    await wait_until(lambda: _in_flight(cluster, 1), "first attempts", limit_s=20)
    # Past the 500s' 5 s backoff: one retry is sent, the other meets the silent loss.
    await cluster.set_clock(T0 + timedelta(seconds=6))
    await wait_until(lambda: _in_flight(cluster, 0), "retries", limit_s=20)
    # Waiting: the silent loss's text (second attempt: 5 s doubled) and the 429's (Retry-After).
    waits = {
        round((r.next_attempt_at - r.sent_at).total_seconds())
        for r in await _rows(db)
        if r.status == "pending" and r.next_attempt_at and r.sent_at
    }
    assert waits == {10, 30}, waits
    await cluster.set_clock(T0 + timedelta(minutes=1))
    await wait_until(lambda: _settled(cluster, delivered=TEXTS), "all sent", limit_s=20)
    await fake.settle()
    rows = await _rows(db)
    assert Counter(r.attempts for r in rows) == Counter({1: 1, 2: 2, 3: 1})
    # Once each — except the one text whose answer and callbacks were both lost: Twilio has
    # no idempotency key for creating a message, so that one was sent again (docs/escalation.md).
    sent = [m for m in fake.outbound_messages() if m.direction == "outbound-api"]
    copies = Counter(outbox_id(m.status_callback) for m in sent)
    silent = {outbox_id(m.status_callback) for m in sent if m.sid in faults.silent}
    assert len(silent) == 1
    assert copies == Counter({r.id: 2 if r.id in silent else 1 for r in rows})
    assert {r.provider_sid for r in rows} == {m.sid for m in sent if m.sid not in faults.silent}
    async with db.sessions() as session:
        events = list(await session.scalars(select(Event)))
        assert (await verify_chain(session)).ok
    logged = Counter((e.kind, e.details.get("message")) for e in events)
    assert all(logged["sms.delivered", r.id] == 1 for r in rows)
    assert not [e for e in events if e.kind in ("sms.failed", "alert.escalating_early")]
