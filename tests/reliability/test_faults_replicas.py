"""kill -9 of a replica in the middle of escalations: the survivor finishes, nothing twice or lost.

Two replica processes (scheduler and outbox sender loops each) on PostgreSQL, the fake Twilio
over HTTP behind a load balancer; time moves by each replica's demo clock, never by sleeping.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from oncall.db.engine import Database
from oncall.db.models import Alert, Event, OutboundMessage
from oncall.domain.chain import verify_chain
from tests.e2e.conftest import FRIDAY_NIGHT
from tests.reliability.faults_support.cluster import Cluster, start_cluster, wait_until
from tests.reliability.faults_support.night import outbox_id, seed_night
from tests.support import truncate_all

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

T0 = FRIDAY_NIGHT
ALERTS = 6
MANAGERS = 8


@pytest.fixture
def pg_url(postgres_database: str) -> str:
    asyncio.run(truncate_all(postgres_database))
    return postgres_database


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


async def rows(database: Database) -> list[OutboundMessage]:
    async with database.sessions() as session:
        return list(await session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


async def delivered_at_step(cluster: Cluster, round_: int, step: int) -> int:
    return sum(
        1
        for r in await rows(cluster.database)
        if r.status == "delivered" and (r.round, r.step_index) == (round_, step)
    )


async def test_kill_9_mid_escalation_the_survivor_finishes_once_each(
    pg_url: str, tmp_path: Path
) -> None:
    seeding = Database.connect(pg_url)
    try:
        alert_ids = await seed_night(seeding, alerts=ALERTS, at=T0)
    finally:
        await seeding.dispose()
    async with (
        asyncio.timeout(90),
        start_cluster(pg_url, tmp_path, start=T0 - minutes(1)) as cluster,
    ):
        try:
            await _scenario(cluster, alert_ids)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{cluster.logs()}") from exc


async def _scenario(cluster: Cluster, alert_ids: list[int]) -> None:
    fake, db = cluster.fake, cluster.database
    # Both replicas run the first two steps (the duty worker, then the senior manager).
    await cluster.set_clock(T0)
    await wait_until(
        lambda: _eq(delivered_at_step(cluster, 0, 0), ALERTS), "first texts", limit_s=20
    )
    await cluster.set_clock(T0 + minutes(5))
    await wait_until(
        lambda: _eq(delivered_at_step(cluster, 0, 1), ALERTS), "manager texts", limit_s=20
    )
    # Mid-policy. Only replica a's clock reaches the reminders (+15 min): its scheduler runs
    # them and its sender claims every text. Twilio never answers: three requests hang without
    # sending, three are sent but the answer is lost. Then a is killed.
    fake.faults.hang_next(3, seconds=30, resource="Messages")
    fake.faults.lose_response_next(3, seconds=30, resource="Messages")
    await cluster.set_clock(T0 + minutes(15), "a")

    def reminders() -> list[str]:
        return [m.sid for m in fake.outbound_messages() if m.body.startswith("REMINDER")]

    async def all_in_flight() -> bool:
        sids = set(reminders())
        called_back = [w for w in fake.webhooks.log if w.params.get("MessageSid") in sids]
        return not fake.faults.faults and len(sids) == 3 and len(called_back) == 9

    await wait_until(all_in_flight, "replica a's six texts in flight", limit_s=20)
    claimed = [r for r in await rows(db) if r.status == "sending"]
    assert len(claimed) == 3  # the three hanging ones; the sent three were moved on by callbacks
    await cluster.kill("a")
    fake.faults.release_hanging()
    # The survivor's clock catches up, past the dead sender's 120 s lease.
    await cluster.set_clock(T0 + minutes(18), "b")
    await wait_until(
        lambda: _eq(delivered_at_step(cluster, 1, 1), 3), "early escalation", limit_s=20
    )
    await cluster.set_clock(T0 + minutes(20), "b")
    await wait_until(
        lambda: _eq(delivered_at_step(cluster, 1, 1), ALERTS), "second manager texts", limit_s=20
    )
    # The right step for the time: all at the final step, due +30 (or +28: escalated early
    # at +18 because their reminder's outcome is unknown).
    early = {r.alert_id for r in claimed}
    async with db.sessions() as session:
        alerts = {a.id: a for a in await session.scalars(select(Alert))}
    for alert_id in alert_ids:
        alert = alerts[alert_id]
        due = T0 + minutes(28 if alert_id in early else 30)
        assert (alert.round, alert.step_index) == (2, 0), alert_id
        assert alert.next_action_at is not None
        assert due <= alert.next_action_at < due + minutes(1), (alert_id, alert.next_action_at)
    await cluster.set_clock(T0 + minutes(31), "b")
    await wait_until(
        lambda: _eq(delivered_at_step(cluster, 2, 0), ALERTS * MANAGERS), "all managers", limit_s=30
    )
    await fake.settle()
    assert fake.errors == []  # every webhook answered, every status callback recorded

    async def all_logged() -> bool:  # the sender logs deliveries in batches, on its next pass
        return all(r.status_logged == r.status for r in await rows(db))

    await wait_until(all_logged, "deliveries logged", limit_s=10)
    await _check_once_each(cluster, alert_ids, unknown={r.id for r in claimed})


async def _eq(count: Awaitable[int], expected: int) -> bool:
    return await count == expected


async def _check_once_each(cluster: Cluster, alert_ids: list[int], unknown: set[int]) -> None:
    fake, db = cluster.fake, cluster.database
    all_rows = await rows(db)
    assert len(all_rows) == ALERTS * (4 + MANAGERS)
    # None lost: each row delivered, or (outcome unknown after the kill) failed and escalated.
    failed = {r.id for r in all_rows if r.status == "failed"}
    assert failed == unknown
    assert all(r.status == "delivered" for r in all_rows if r.id not in unknown)
    # Never twice: one provider message per delivered row, by outbox id and by recipient + text.
    sent = [m for m in fake.outbound_messages() if m.direction == "outbound-api"]
    per_row = Counter(outbox_id(m.status_callback) for m in sent)
    assert per_row == Counter({r.id: 1 for r in all_rows if r.id not in unknown})
    delivered = [r for r in all_rows if r.status == "delivered"]
    assert Counter((m.to, m.body) for m in sent) == Counter(
        (r.to_number, r.body) for r in delivered
    )
    assert {m.sid for m in sent} == {r.provider_sid for r in delivered}
    # No event missing, and the chain verifies.
    async with db.sessions() as session:
        events = list(await session.scalars(select(Event).order_by(Event.seq)))
        assert (await verify_chain(session)).ok
        alerts = {a.id: a for a in await session.scalars(select(Alert))}
    by_message = {(e.kind, e.details.get("message")) for e in events}
    for row in all_rows:
        kind = "sms.failed" if row.id in unknown else "sms.delivered"
        assert (kind, row.id) in by_message, (kind, row.id)
    for alert_id in alert_ids:
        contact = alerts[alert_id].contact_id
        kinds = Counter(e.kind for e in events if e.contact_id == contact)
        steps = [
            (e.details["round"], e.details["step"])
            for e in events
            if e.kind == "alert.escalated" and e.details.get("alert") == alert_id
        ]
        assert kinds["alert.raised"] == 1
        assert steps == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)], (alert_id, steps)
        early = any(r.alert_id == alert_id for r in all_rows if r.id in unknown)
        assert kinds["alert.escalating_early"] == (1 if early else 0)
        assert alerts[alert_id].next_action_at is None
