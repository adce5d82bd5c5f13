"""The background loops as `make run` starts them, and the demo clock endpoint."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from aiohttp import ClientSession

from integrations.fake_twilio import CallerScript
from oncall.clock import ManualClock
from oncall.db.engine import Database
from tests.e2e.conftest import FRIDAY_NIGHT, ServerFactory, Service, start_service
from tests.e2e.test_calls import POLICE_CONTROL_ROOM
from tests.e2e.test_escalation_support import texts_to
from tests.support import ShiftSpec, load_demo_data, publish_rota

SHIFT = FRIDAY_NIGHT.replace(hour=17)


async def _advance_until(
    clock: ManualClock, predicate: Callable[[], bool], *, step_s: float, limit_s: float = 40.0
) -> None:
    """Move the clock a little at a time (waking the loops) until `predicate` holds."""
    async with asyncio.timeout(limit_s):
        while not predicate():
            await clock.advance(step_s)
            await asyncio.sleep(0.1)  # real time for the woken loops to run their pass


async def test_the_loops_escalate_as_the_clock_moves(
    aiohttp_server: ServerFactory, database: Database
) -> None:
    await load_demo_data(database)
    async with database.sessions() as session:
        await publish_rota(session, "2027-01", [
            ShiftSpec(SHIFT, SHIFT + timedelta(hours=16), "worker", ["sw002"]),
            ShiftSpec(SHIFT, SHIFT + timedelta(hours=16), "manager", ["sm002"]),
        ])  # fmt: skip
        await session.commit()
    clock = ManualClock(FRIDAY_NIGHT)
    service: Service = await start_service(aiohttp_server, database, clock)  # loops on
    await service.fake.place_inbound_call(
        from_=POLICE_CONTROL_ROOM, to=service.lines["police"], caller=CallerScript()
    )
    await service.fake.settle()
    started = clock.now()
    await _advance_until(clock, lambda: len(texts_to(service, "sw002")) == 1, step_s=1)
    assert texts_to(service, "sm002") == []
    await _advance_until(clock, lambda: len(texts_to(service, "sm002")) == 1, step_s=5)
    waited = (clock.now() - started).total_seconds()
    # the default policy's minute, give or take two clock steps
    assert 60 <= waited <= 60 + 2 * 5 + 5
    await service.fake.settle()
    assert len(texts_to(service, "sw002")) == 1


async def test_demo_clock_can_be_read_and_set(
    aiohttp_server: ServerFactory, database: Database
) -> None:
    await load_demo_data(database)
    from oncall.app import create_app
    from oncall.settings import Settings
    from tests.e2e.conftest import free_port

    port = free_port()
    settings = Settings(
        database_url=database.engine.url.render_as_string(hide_password=False),
        public_url=f"http://127.0.0.1:{port}", telephony="fake", escalation_workers=False,
    )  # fmt: skip
    await aiohttp_server(create_app(settings), port=port)  # demo mode: an OffsetClock
    async with ClientSession() as http:
        async with http.post(
            f"{settings.public_url}/demo/clock",
            json={"at": "2027-01-08T23:00:00+00:00", "speed": 60},
        ) as response:
            assert response.status == 200
            body = await response.json()
        assert body["speed"] == 60 and body["now"].startswith("2027-01-08T23:00")
        async with http.post(f"{settings.public_url}/demo/clock", json={"at": "tea time"}) as bad:
            assert bad.status == 400
        async with http.get(f"{settings.public_url}/demo/clock") as response:
            assert (await response.json())["now"].startswith("2027-01-08T23:0")
        # One anonymous request at the end of the calendar used to break every page until a
        # restart; now it is refused and nothing moves.
        for at in ("9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00"):
            async with http.post(f"{settings.public_url}/demo/clock", json={"at": at}) as bad:
                assert bad.status == 400 and "within ten years" in await bad.text()
        for page in ("/", "/login", "/fake/", "/demo/clock"):
            async with http.get(f"{settings.public_url}{page}") as response:
                assert response.status == 200, page
        async with http.get(f"{settings.public_url}/demo/clock") as response:
            assert (await response.json())["now"].startswith("2027-01-08T23:0")
