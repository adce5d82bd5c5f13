"""Running `oncall …` in this process against a test database, and reading what it wrote."""

from __future__ import annotations

import asyncio
import io
import sys
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from oncall.app import create_app
from oncall.cli import main
from oncall.db.engine import Database
from oncall.db.models import Event
from oncall.settings import Settings


@dataclass(frozen=True, slots=True)
class Result:
    status: int
    out: str
    err: str


def run_cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    db_url: str,
    args: list[str],
    stdin: str = "",
) -> Result:
    """`oncall ARGS` with ONCALL_DATABASE_URL set and `stdin` as standard input (not a TTY)."""
    monkeypatch.setenv("ONCALL_DATABASE_URL", db_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    capsys.readouterr()
    try:
        status = main(args)
    except SystemExit as exc:  # argparse rejecting an argument
        status = int(exc.code or 0)
    captured = capsys.readouterr()
    return Result(status, captured.out, captured.err)


def events(db_url: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, actor, details) of every event in the log, oldest first."""

    async def read() -> list[tuple[str, str, dict[str, Any]]]:
        db = Database.connect(db_url)
        try:
            async with db.sessions() as session:
                rows = (await session.scalars(select(Event).order_by(Event.seq))).all()
                return [(r.kind, r.actor, dict(r.details)) for r in rows]
        finally:
            await db.dispose()

    return asyncio.run(read())


# Sessions made by one app must be read by the next: the same signing key for both.
SECRET_KEY = "cli-tests-" + "k" * 32


def session_cookie(db_url: str, username: str, password: str) -> str:
    """Sign in through the real app and return the session cookie's value."""

    async def attempt() -> str:
        app = create_app(Settings(database_url=db_url, secret_key=SECRET_KEY))
        async with TestClient(TestServer(app)) as client:
            login = await client.post(
                "/login", data={"username": username, "password": password},
                allow_redirects=False,
            )  # fmt: skip
            assert login.status == 303, await login.text()
            return login.cookies["oncall_session"].value

    return asyncio.run(attempt())


def status_with_cookie(db_url: str, cookie: str, path: str = "/api/v1/events") -> int:
    """The status of GET `path` sent with this session cookie (a copy of it, say)."""

    async def fetch() -> int:
        app = create_app(Settings(database_url=db_url, secret_key=SECRET_KEY))
        async with TestClient(TestServer(app)) as client:
            answer = await client.get(path, headers={"Cookie": f"oncall_session={cookie}"})
            return answer.status

    return asyncio.run(fetch())


def sign_in(db_url: str, username: str, password: str) -> tuple[int, int]:
    """Sign in through the real app: (the /login status, then /api/v1/events's status, which
    only managers and administrators may read)."""

    async def attempt() -> tuple[int, int]:
        app = create_app(Settings(database_url=db_url))
        async with TestClient(TestServer(app)) as client:
            login = await client.post(
                "/login", data={"username": username, "password": password},
                allow_redirects=False,
            )  # fmt: skip
            api = await client.get("/api/v1/events")
            return login.status, api.status

    return asyncio.run(attempt())
