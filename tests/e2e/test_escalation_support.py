"""Helpers for escalation tests: the service with its loops off, one pass at a time."""

from __future__ import annotations

from integrations.fake_twilio import PhoneBehaviour
from oncall import keys
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.domain.escalation import update_policy
from tests.e2e.conftest import ServerFactory, Service, publish_friday_night, start_service
from tests.support import load_demo_data

MANAGERS = [f"sm{i:03d}" for i in range(1, 9)]


async def escalation_service(
    aiohttp_server: ServerFactory, database: Database, clock: ManualClock
) -> Service:
    """Friday 8 Jan 2027 17:00-09:00: sw002 then sw004, sm002 the senior manager; loops off."""
    await load_demo_data(database)
    await publish_friday_night(database)
    service = await start_service(
        aiohttp_server,
        database,
        clock,
        escalation_workers=False,  # type: ignore[arg-type]
    )
    service.fake.phones.set_default(PhoneBehaviour.NO_ANSWER)
    return service


async def duty_worker_for_five_minutes(database: Database, clock: ManualClock) -> None:
    """Missed calls page the duty worker alone, the senior manager five minutes later: for tests
    of what moves an alert on before its step's wait is over (the default waits one minute)."""
    steps = [
        {"targets": ["duty_worker"], "channels": ["sms", "voice"], "wait_minutes": 5},
        {"targets": ["senior_manager"], "channels": ["sms", "voice"], "wait_minutes": 10},
    ]
    async with database.sessions() as session:
        await update_policy(
            session, line_id=None, kind="missed_call", steps=steps, repeat=2, now=clock.now(),
            by="test",
        )  # fmt: skip
        await session.commit()


async def tick(service: Service, *, minutes: float = 0) -> None:
    """Advance the clock, then one scheduler pass and one sender pass, and let the fake settle."""
    if minutes:
        await service.clock.advance(minutes * 60)
    await service.app[keys.SCHEDULER].run_once()
    await service.app[keys.SENDER].run_once(service.clock.now())
    await service.fake.settle()


def sms_bodies(service: Service) -> list[str]:
    return [m.body for m in service.fake.outbound_messages() if m.direction == "outbound-api"]


def texts_to(service: Service, code: str) -> list[str]:
    number = service.phones[code]
    return [
        m.body for m in service.fake.outbound_messages(to=number) if m.direction == "outbound-api"
    ]
