"""The whole service on a real port in demo mode: fake Twilio mounted inside, a manual clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from integrations.fake_twilio import FakeTwilio
from oncall import keys
from oncall.app import create_app
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import Line, Person, Tier
from oncall.settings import FAKE_AUTH_TOKEN, Settings
from oncall.sim.service import free_port as free_port  # one copy, re-exported to the tests
from tests.support import JERSEY, ShiftSpec, load_demo_data, publish_rota

ServerFactory = Callable[..., Awaitable[TestServer]]

FRIDAY_NIGHT = datetime(2027, 1, 8, 23, 0, tzinfo=JERSEY)
SHIFT_START = datetime(2027, 1, 8, 17, 0, tzinfo=JERSEY)
FALLBACK = "+441534700199"
UNKNOWN_CALLER = "+447797999999"


@dataclass
class Service:
    """A running service and what tests need to drive it."""

    app: web.Application
    server: TestServer
    fake: FakeTwilio
    clock: ManualClock
    database: Database
    settings: Settings
    lines: dict[str, str]  # line kind -> number
    phones: dict[str, str]  # person code -> phone

    def url(self, path: str) -> str:
        return self.settings.public_url + path

    def signature(self, path: str, params: dict[str, str]) -> str:
        return str(RequestValidator(FAKE_AUTH_TOKEN).compute_signature(self.url(path), params))


async def start_service(
    aiohttp_server: ServerFactory, database: Database, clock: ManualClock, **overrides: str
) -> Service:
    port = free_port()
    settings = Settings(
        database_url=str(database.engine.url.render_as_string(hide_password=False)),
        public_url=f"http://127.0.0.1:{port}",
        telephony="fake",
        fallback_number=FALLBACK,
        **overrides,  # type: ignore[arg-type]
    )
    app = create_app(settings, clock=clock)
    server = await aiohttp_server(app, port=port)
    async with database.sessions() as session:
        lines: dict[str, str] = {
            line.kind: line.twilio_number for line in (await session.scalars(select(Line)))
        }
        phones = {p.code: p.phone for p in (await session.scalars(select(Person)))}
    return Service(app, server, app[keys.FAKE_TWILIO], clock, database, settings, lines, phones)


async def publish_friday_night(database: Database) -> None:
    """The e2e rota: Friday 8 Jan 2027 17:00 for 16 hours, sw002 then sw004, sm002 above them."""
    async with database.sessions() as session:
        end = SHIFT_START + timedelta(hours=16)
        await publish_rota(
            session,
            "2027-01",
            [
                ShiftSpec(SHIFT_START, end, Tier.WORKER, ["sw002", "sw004"]),
                ShiftSpec(SHIFT_START, end, Tier.MANAGER, ["sm002"]),
            ],
        )
        await session.commit()


@pytest.fixture
async def service(aiohttp_server: ServerFactory, database: Database) -> Service:
    """Friday night 8 Jan 2027: sw002 then sw004 on the first tier, sm002 the senior manager."""
    await load_demo_data(database)
    await publish_friday_night(database)
    return await start_service(aiohttp_server, database, ManualClock(FRIDAY_NIGHT))
