"""Shared fixtures: real databases (SQLite always, PostgreSQL when it answers), settings, clocks."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from oncall.db.engine import Database
from oncall.db.migrate import upgrade
from oncall.log import configure_logging
from tests.support import truncate_all

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
PG_URL = os.environ.get("ONCALL_TEST_POSTGRES_URL", DEFAULT_PG_URL)
# .ci/run sets this: without PostgreSQL the run must fail, not quietly skip half the suite.
PG_REQUIRED = os.environ.get("ONCALL_TEST_REQUIRE_POSTGRES") == "1"


def _libpq(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


def _asyncpg_url(url: str) -> str:
    return "postgresql+asyncpg://" + url.split("://", 1)[1]


def _postgres_answers(url: str) -> bool:
    parts = urlsplit(_libpq(url))
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 1):
            return True
    except OSError:
        return False


POSTGRES_AVAILABLE = _postgres_answers(PG_URL)


def pytest_sessionstart(session: pytest.Session) -> None:
    # Logging as the service sets it up (plain tracebacks, to the current stderr), not
    # structlog's defaults: those draw every logged exception as a rich traceback, which took
    # the loop for seconds under the tests that log many (a sign-in storm on a locked database).
    configure_logging(log_format="console", level="info")
    if PG_REQUIRED and not POSTGRES_AVAILABLE:
        pytest.exit(
            f"PostgreSQL is required (ONCALL_TEST_REQUIRE_POSTGRES=1) but does not answer at "
            f"{urlsplit(_libpq(PG_URL)).netloc}; start it or set ONCALL_TEST_POSTGRES_URL",
            returncode=3,
        )


def pytest_report_header() -> str:
    state = "available" if POSTGRES_AVAILABLE else "not available: PostgreSQL tests skip"
    return f"oncall: PostgreSQL at {urlsplit(_libpq(PG_URL)).netloc} {state}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A PostgreSQL database of our own for this test run, migrated once, dropped at the end."""
    if not POSTGRES_AVAILABLE:
        pytest.skip("PostgreSQL is not available")
    name = f"oncall_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = _libpq(PG_URL)

    async def create() -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    async def drop() -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(create())
    url = _asyncpg_url(admin.rsplit("/", 1)[0] + "/" + name)
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(drop())


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A freshly migrated SQLite database, for tests that need SQLite whatever `db_url` is."""
    path = tmp_path / "oncall-sqlite.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


_BOTH_DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _empty_database(request: pytest.FixtureRequest, sqlite_template: Path, folder: Path) -> str:
    if request.param == "sqlite":
        path = folder / "oncall.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    asyncio.run(truncate_all(url))
    return url


@pytest.fixture(params=_BOTH_DATABASES)
def db_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    """A freshly migrated, empty database: each test runs once on SQLite and once on PostgreSQL."""
    return _empty_database(request, sqlite_template, tmp_path)


@pytest.fixture(scope="module", params=_BOTH_DATABASES)
def module_db_url(
    request: pytest.FixtureRequest,
    sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """As `db_url`, but one database per module on each side, shared by its tests."""
    return _empty_database(request, sqlite_template, tmp_path_factory.mktemp("module-db"))


@pytest.fixture
async def database(db_url: str) -> AsyncIterator[Database]:
    db = Database.connect(db_url)
    yield db
    await db.dispose()


@pytest.fixture
def fixed_now() -> datetime:
    return datetime(2027, 1, 8, 23, 0, tzinfo=UTC)
