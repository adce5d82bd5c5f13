"""Schema migrations with Alembic: upgrade to the newest revision, report the current one."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from oncall.db.engine import Database, DatabaseUnavailable, describe_db_error


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", "oncall.db:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision` (blocking: run it outside the event loop)."""
    try:
        command.upgrade(alembic_config(url), revision)
    except Exception as exc:
        raise DatabaseUnavailable(describe_db_error(exc)) from exc


async def current_revision(db: Database) -> str | None:
    """The revision the database is at (None for an empty database)."""

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    try:
        async with db.engine.connect() as conn:
            return await conn.run_sync(read)
    except Exception as exc:
        raise DatabaseUnavailable(describe_db_error(exc)) from exc
