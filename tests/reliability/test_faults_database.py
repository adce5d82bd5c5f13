"""PostgreSQL going away during a call, as two replica processes see it, and coming back.

The machine's PostgreSQL server is shared, so it is never restarted: the replicas reach it
through a TCP proxy that the test cuts (every connection dropped, new ones refused) and restores,
which is what clients see while a server restarts; then `pg_terminate_backend` kills every
connection the pools hold, as a failover would.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import select

from integrations.fake_twilio import CallerScript, CallTrace, PhoneBehaviour
from oncall.db.engine import Database
from oncall.db.models import Contact, Event, Person
from oncall.domain.chain import verify_chain
from tests.e2e.conftest import FRIDAY_NIGHT
from tests.reliability.faults_support.cluster import Cluster, start_cluster, wait_until
from tests.reliability.faults_support.night import seed_night
from tests.support import truncate_all

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

POLICE_CONTROL_ROOM = "+441534700201"


@pytest.fixture
def pg_url(postgres_database: str) -> str:
    asyncio.run(truncate_all(postgres_database))
    return postgres_database


def answered_by(trace: CallTrace) -> list[str]:
    """Numbers that answered and were connected to the caller."""
    answered = ""
    bridged = []
    for event in trace.events:
        if event.kind == "phone" and " answered (" in event.detail:
            answered = event.detail.split(" ", 1)[0]
        if event.kind == "phone" and event.data.get("bridged"):
            bridged.append(answered)
    return bridged


async def test_database_cut_mid_call_caller_still_connected_then_recovers(
    pg_url: str, tmp_path: Path
) -> None:
    seeding = Database.connect(pg_url)
    try:
        await seed_night(seeding, alerts=0, at=FRIDAY_NIGHT)
    finally:
        await seeding.dispose()
    async with (
        asyncio.timeout(60),
        start_cluster(
            pg_url,
            tmp_path,
            start=FRIDAY_NIGHT,
            through_db_proxy=True,
            extra_env={"ONCALL_CALL_CHECK_SECONDS": "2"},  # the open call is asked about soon
        ) as cluster,
    ):
        try:
            await _scenario(cluster, pg_url)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{cluster.logs()}") from exc


async def _scenario(cluster: Cluster, pg_url: str) -> None:
    fake, proxy = cluster.fake, cluster.db_proxy
    assert proxy is not None
    fake.phones.set(cluster.phones["sw004"], PhoneBehaviour.ACCEPT)
    # The duty worker does not answer; as Twilio asks what next, the database goes away.
    cluster.balancer.tap(b"/twilio/voice/dial-result", proxy.cut)
    trace = await fake.place_inbound_call(from_=POLICE_CONTROL_ROOM, to=cluster.lines["police"])
    await fake.settle()
    # The caller's status callback could not be recorded: 503 (the call check asks later).
    assert [e.detail for e in trace.errors] == ["status callback got 503"]
    dials = [e.data["numbers"] for e in trace.events if e.kind == "verb" and e.detail == "Dial"]
    on_duty = {cluster.phones[code] for code in ("sw002", "sw004", "sm002")}
    assert dials[0] == [cluster.phones["sw002"]]  # the ring-round, from the database
    assert set(dials[1]) == on_duty  # the fail-safe: every last-known on-duty phone at once
    assert answered_by(trace) == [cluster.phones["sw004"]]
    for name in cluster.replicas:
        assert await cluster.readyz(name) == 503
    # The database comes back: both replicas are ready again without a restart.
    await proxy.restore()

    async def ready() -> bool:
        return all([await cluster.readyz(name) == 200 for name in cluster.replicas])

    await wait_until(ready, "readyz 200 on both replicas", limit_s=20)
    # The call check finishes the call's record from Twilio's: sw004 connected, the call ended.
    await wait_until(
        lambda: _reconciled(cluster, trace.call_sid), "the open call reconciled", limit_s=20
    )
    # A failover: every pooled connection is killed under the pools' feet. The next call's
    # webhooks are answered from the database (pool_pre_ping replaces the dead connections).
    await cluster.database.dispose()  # the test's own pool holds none of them
    conn = await asyncpg.connect("postgresql://" + pg_url.split("://", 1)[1])
    try:
        killed = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    assert killed >= 2
    fake.phones.set(cluster.phones["sw004"], PhoneBehaviour.NO_ANSWER)
    missed = await fake.place_inbound_call(
        from_=POLICE_CONTROL_ROOM,
        to=cluster.lines["police"],
        caller=CallerScript(voicemail_s=20),
    )
    await fake.settle()
    assert missed.errors == []
    # Recorded in full, and the escalation loops text the duty worker about it.
    async with cluster.database.sessions() as session:
        contact = await session.scalar(
            select(Contact).where(Contact.provider_sid == missed.call_sid)
        )
        assert contact is not None
        kinds = [
            e.kind
            for e in await session.scalars(
                select(Event).where(Event.contact_id == contact.id).order_by(Event.seq)
            )
        ]
        sw002 = await session.scalar(select(Person).where(Person.code == "sw002"))
    assert {"call.received", "call.rang", "alert.raised"} <= set(kinds), kinds
    assert sw002 is not None

    async def texted() -> bool:
        return any(contact.reference[-4:] in m.body for m in fake.outbound_messages(to=sw002.phone))

    await wait_until(texted, "the alert text to the duty worker", limit_s=20)
    async with cluster.database.sessions() as session:
        assert (await verify_chain(session)).ok


async def _reconciled(cluster: Cluster, call_sid: str) -> bool:
    async with cluster.database.sessions() as session:
        contact = await session.scalar(select(Contact).where(Contact.provider_sid == call_sid))
        if contact is None or contact.ended_at is None:
            return False
        kinds = list(
            await session.scalars(
                select(Event.kind).where(Event.contact_id == contact.id).order_by(Event.seq)
            )
        )
        handler = await session.get(Person, contact.handled_by_id or 0)
    assert contact.status == "answered" and handler is not None and handler.code == "sw004"
    assert kinds.count("call.reconciled") == kinds.count("call.duration") == 1, kinds
    return True
