"""Who may read /metrics: the bearer token, or (without one) demo mode or this host, no proxy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from sqlalchemy import select

from oncall.app import create_app
from oncall.db.engine import Database
from oncall.db.models import CallerNumber, FosterHousehold, KnownCaller, Person
from oncall.settings import SettingsError, load_settings
from tests.e2e.conftest import free_port
from tests.metrics.scrape import get_metrics, parse
from tests.support import load_demo_data

ServerFactory = Callable[..., Awaitable[TestServer]]
TOKEN = "metrics-token-for-the-tests-0123"
PRODUCTION = {
    "ONCALL_TELEPHONY": "twilio",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "ONCALL_SECRET_KEY": "k" * 32,
    "ONCALL_FALLBACK_NUMBER": "+441534700199",
    "ONCALL_ESCALATION_WORKERS": "off",
}


async def _server(aiohttp_server: ServerFactory, sqlite_url: str, **env: str) -> str:
    settings = load_settings({"ONCALL_DATABASE_URL": sqlite_url, **env})
    app: web.Application = create_app(settings)
    server = await aiohttp_server(app)
    return str(server.make_url("/metrics"))


@pytest.mark.parametrize("env", [{}, PRODUCTION], ids=["demo", "production"])
async def test_with_a_token_only_the_bearer_token_reads_metrics(
    aiohttp_server: ServerFactory, sqlite_url: str, env: dict[str, str]
) -> None:
    url = await _server(aiohttp_server, sqlite_url, ONCALL_METRICS_TOKEN=TOKEN, **env)
    for headers in (
        {},
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"Authorization": TOKEN},
    ):
        status, text = await get_metrics(url, headers)
        assert status == 401, headers
        assert "ONCALL_METRICS_TOKEN" in text
    status, text = await get_metrics(url, {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    assert parse(text).value("oncall_database_up") == 1


async def test_production_without_a_token_answers_this_host_but_not_through_a_proxy(
    aiohttp_server: ServerFactory, sqlite_url: str
) -> None:
    url = await _server(aiohttp_server, sqlite_url, **PRODUCTION)
    status, _ = await get_metrics(url)
    assert status == 200  # the test client connects from 127.0.0.1
    for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded"):
        status, text = await get_metrics(url, {header: "203.0.113.9"})
        assert status == 403, header
        assert "set ONCALL_METRICS_TOKEN" in text


async def test_demo_mode_without_a_token_is_open(
    aiohttp_server: ServerFactory, sqlite_url: str
) -> None:
    url = await _server(aiohttp_server, sqlite_url)
    status, _ = await get_metrics(url, {"X-Forwarded-For": "203.0.113.9"})
    assert status == 200


@pytest.mark.parametrize("token", ["short", "sixteen chars with spaces"])
def test_a_weak_metrics_token_is_refused_at_start_up(token: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"ONCALL_METRICS_TOKEN": token})
    assert refused.value.problems == [
        "ONCALL_METRICS_TOKEN: must be at least 16 characters, without spaces"
    ]


def test_the_metrics_token_is_a_secret() -> None:
    settings = load_settings({"ONCALL_METRICS_TOKEN": TOKEN})
    assert TOKEN not in repr(settings)
    assert settings.describe()["metrics_token"] == "(set)"


async def test_no_phone_number_or_name_reaches_the_metrics(
    aiohttp_server: ServerFactory, sqlite_url: str
) -> None:
    """Labels are kinds and statuses only: nothing of the demo's people, carers or callers."""
    database = Database.connect(sqlite_url)
    await load_demo_data(database)
    async with database.sessions() as session:
        personal = [
            *(await session.scalars(select(Person.name))),
            *(await session.scalars(select(Person.phone))),
            *(await session.scalars(select(CallerNumber.number))),
            *(await session.scalars(select(KnownCaller.name))),
            *(await session.scalars(select(FosterHousehold.carer_names))),
        ]
    await database.dispose()
    assert len(personal) > 50
    url = await _server(aiohttp_server, sqlite_url)
    status, text = await get_metrics(url)
    assert status == 200
    assert [p for p in personal if p in text] == []
    national = [p[3:] for p in personal if p.startswith("+44")]  # 7797…, 1534… without +44
    assert [n for n in national if n in text] == []


async def test_prometheus_asking_for_openmetrics_gets_valid_openmetrics(
    aiohttp_server: ServerFactory, sqlite_url: str
) -> None:
    url = await _server(aiohttp_server, sqlite_url)
    accept = "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3"
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, headers={"Accept": accept}) as r,
    ):
        assert r.content_type == "application/openmetrics-text"
        text = await r.text()
    parsed = openmetrics_families(text)  # type: ignore[no-untyped-call]  # raises if malformed
    families = {f.name: f.type for f in parsed}
    assert families["oncall_calls"] == "counter"
    assert families["oncall_database_up"] == "gauge"


async def test_an_unreachable_database_is_reported_not_a_failed_scrape(
    aiohttp_server: ServerFactory,
) -> None:
    """Process figures still come; the database's are left out and oncall_database_up is 0."""
    nowhere = f"postgresql://oncall@127.0.0.1:{free_port()}/oncall"  # nothing listens there
    # Production settings: demo mode's fake Twilio would wait 10 s at start-up for the database.
    settings = load_settings({**PRODUCTION, "ONCALL_DATABASE_URL": nowhere})
    server = await aiohttp_server(create_app(settings))
    status, text = await get_metrics(str(server.make_url("/metrics")))
    assert status == 200
    scrape = parse(text)
    assert scrape.value("oncall_database_up") == 0
    assert "oncall_calls" not in scrape.families
    assert "process_cpu_seconds" in scrape.families
