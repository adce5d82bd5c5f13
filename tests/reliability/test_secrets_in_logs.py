"""Secrets: none in a night's log (nor a whole phone number), and tokens and passwords hashed."""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import fields

import pytest
import structlog
from aiohttp import ClientSession, CookieJar
from sqlalchemy import select

from integrations.fake_twilio import CallerScript, PhoneBehaviour
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import ApiToken, User
from oncall.domain.people import create_api_token
from oncall.log import configure_logging
from oncall.settings import Settings
from tests.e2e.conftest import FRIDAY_NIGHT, ServerFactory, start_service
from tests.reliability.inputs import DEMO_PASSWORD, publish_friday_night_at
from tests.support import load_demo_data

POLICE_CONTROL_ROOM = "+441534700201"
STRANGER = "+447797999999"


def _secret_settings() -> dict[str, str]:
    """A distinctive value for every secret setting (repr=False), whatever settings exist now.

    Letters only: the phone-number masking would hide a run of digits and hide a leak with it.
    """
    chosen: dict[str, str] = {}
    for f in fields(Settings):
        if f.repr or f.type not in ("str", str) or f.name in ("database_url", "twilio_account_sid"):
            continue  # the SID is an identifier, not a secret; the URL here has no password
        chosen[f.name] = f"Sekrit{f.name.title().replace('_', '')}ValueXyzzyPlugh"
    return chosen


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything structlog and stdlib logging write, as JSON lines, during the test."""
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging(log_format="json", level="debug", stream=stream)
    yield stream
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_no_secret_and_no_whole_phone_number_is_logged(
    aiohttp_server: ServerFactory, sqlite_url: str, captured: io.StringIO
) -> None:
    secrets = _secret_settings()
    assert {"twilio_auth_token", "secret_key", "smtp_password"} <= set(secrets)
    database = Database.connect(sqlite_url)
    await load_demo_data(database)
    await publish_friday_night_at(sqlite_url)
    async with database.sessions() as session:
        api_token = await create_api_token(session, username="manager", name="t", now=FRIDAY_NIGHT)
        await session.commit()
    service = await start_service(aiohttp_server, database, ManualClock(FRIDAY_NIGHT), **secrets)
    fake = service.fake
    # A call nobody answers (voicemail, alert texts), a stranger's text, a staff member's ACK.
    for code in ("sw002", "sw004", "sm002"):
        fake.phones.set(service.phones[code], PhoneBehaviour.NO_ANSWER)
    await fake.place_inbound_call(
        from_=POLICE_CONTROL_ROOM, to=service.lines["police"], caller=CallerScript(voicemail_s=20)
    )
    await fake.send_inbound_sms(from_=STRANGER, to=service.lines["foster"], body="help please")
    await fake.send_inbound_sms(
        from_=service.phones["sw002"], to=service.lines["police"], body="ACK"
    )
    fake.webhooks.forge_next(1)
    await fake.send_inbound_sms(from_=STRANGER, to=service.lines["foster"], body="forged")
    await fake.settle()
    # People: a failed and a good sign-in, the API with a bearer token, metrics with its token.
    async with ClientSession(
        base_url=service.settings.public_url, cookie_jar=CookieJar(unsafe=True)
    ) as web:
        bad = {"username": "manager", "password": "WrongPasswordQuux"}
        await (await web.post("/login", data=bad, allow_redirects=False)).read()
        good = {"username": "manager", "password": DEMO_PASSWORD}
        assert (await web.post("/login", data=good, allow_redirects=False)).status == 303
        api = await web.get("/api/v1/events", headers={"Authorization": f"Bearer {api_token}"})
        assert api.status == 200
        metrics_token = secrets.get("metrics_token", "")
        await web.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
    await database.dispose()

    log = captured.getvalue()
    assert "sms" in log.lower() and "request" in log  # the night really was logged
    leaked = [name for name, value in secrets.items() if value in log]
    assert not leaked, f"secret settings in the log: {leaked}"
    for secret in (api_token, "WrongPasswordQuux", DEMO_PASSWORD):
        assert secret not in log
    # Texts may carry a child's details: their bodies are never logged, even at DEBUG.
    assert "help please" not in log
    whole_numbers = {POLICE_CONTROL_ROOM, STRANGER, *service.phones.values()}
    whole_numbers |= set(service.lines.values())
    shown = [n for n in whole_numbers if n in log or n.lstrip("+") in log]
    assert not shown, f"unmasked phone numbers in the log: {shown}"
    # No other run of 10+ digits standing alone (a number in another format is still a number);
    # request ids are random hex, which can be all digits, so they are left out of this check.
    without_ids = re.sub(r'"request_id": "[0-9a-f]+"', "", log)
    assert not re.search(r"(?<![\w*])\+?\d{10,}(?!\w)", without_ids)


async def test_api_tokens_and_passwords_are_stored_only_as_hashes(sqlite_url: str) -> None:
    database = Database.connect(sqlite_url)
    await load_demo_data(database)
    async with database.sessions() as session:
        token = await create_api_token(session, username="manager", name="t", now=FRIDAY_NIGHT)
        await session.commit()
        rows = (await session.execute(select(ApiToken.token_hash, ApiToken.name))).all()
        hashes = list(await session.scalars(select(User.password_hash)))
    await database.dispose()
    assert [r.token_hash for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert all(token not in str(tuple(r)) for r in rows)
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(DEMO_PASSWORD in h for h in hashes)
