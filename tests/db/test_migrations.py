"""Migrations: they build exactly the models' schema on SQLite and PostgreSQL, and go both ways."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from oncall.db.engine import Database
from oncall.db.migrate import alembic_config, current_revision, head_revision, upgrade
from oncall.db.models import Base


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_and_models_agree(database: Database) -> None:
    async with database.engine.connect() as conn:
        differences = await conn.run_sync(_differences)
    assert differences == []
    assert await current_revision(database) == head_revision()


def test_downgrade_to_nothing_and_up_again(db_url: str) -> None:
    command.downgrade(alembic_config(db_url), "base")
    upgrade(db_url)

    async def revision() -> str | None:
        db = Database.connect(db_url)
        try:
            return await current_revision(db)
        finally:
            await db.dispose()

    assert asyncio.run(revision()) == head_revision()


# Outbox keys as the service wrote them before 0006: an escalation step's carry its round and
# step index; a notice about an alert, an outcome link and a rota notice do not.
OUTBOX_KEYS = {
    "alert:12:r1:s2:p3:sms": (1, 2),
    "alert:7:r0:s10:p4:voice": (0, 10),
    "notice:alert:12:owned:p5": (None, None),
    "outcome:9:p3:link": (None, None),
    "rota:4:3": (None, None),
}


async def _run(url: str, statement: str, rows: list[dict[str, object]] | None = None) -> list[Any]:
    database = Database.connect(url)
    try:
        async with database.engine.begin() as conn:
            result = await conn.execute(text(statement), rows or [{}])
            return list(result.all()) if result.returns_rows else []
    finally:
        await database.dispose()


def test_0006_fills_each_message_step_from_its_key_and_goes_back(db_url: str) -> None:
    config = alembic_config(db_url)
    command.downgrade(config, "0005")
    at = datetime(2027, 1, 1, tzinfo=UTC).replace(tzinfo=None)
    asyncio.run(
        _run(
            db_url,
            "INSERT INTO outbound_messages (dedupe_key, channel, to_number, from_number, body, "
            "status, attempts, last_error, created_at, updated_at) VALUES (:key, 'sms', "
            "'+447700900001', '+441534000001', 'x', 'delivered', 1, '', :at, :at)",
            [{"key": key, "at": at} for key in OUTBOX_KEYS],
        )
    )
    upgrade(db_url)
    steps = asyncio.run(_run(db_url, "SELECT dedupe_key, round, step_index FROM outbound_messages"))
    assert {key: (round_, step) for key, round_, step in steps} == OUTBOX_KEYS

    command.downgrade(config, "0005")
    keys = asyncio.run(_run(db_url, "SELECT dedupe_key FROM outbound_messages"))
    assert sorted(key for (key,) in keys) == sorted(OUTBOX_KEYS)  # the keys stay: nothing lost
    upgrade(db_url)


async def _insert_event(database: Database) -> None:
    async with database.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO events (seq, occurred_at, kind, actor_type, actor, details, "
                "details_digest, prev_hash, hash) VALUES (1, :at, 'test', 'system', '', "
                "'{\"a\": 1}', 'd', 'p', 'h')"
            ),
            {"at": datetime(2027, 1, 1, tzinfo=UTC).replace(tzinfo=None)},
        )


@pytest.mark.parametrize(
    "statement",
    ["UPDATE events SET kind = 'forged'", "DELETE FROM events", "UPDATE events SET hash = 'x'"],
)
async def test_the_database_refuses_to_alter_events(database: Database, statement: str) -> None:
    await _insert_event(database)
    with pytest.raises(DBAPIError, match="append-only"):
        async with database.engine.begin() as conn:
            await conn.execute(text(statement))


async def test_a_redaction_of_details_alone_is_allowed(database: Database) -> None:
    await _insert_event(database)
    async with database.engine.begin() as conn:
        await conn.execute(text("""UPDATE events SET details = '{"redacted": true}'"""))
        details = await conn.scalar(text("SELECT details FROM events"))
    assert "redacted" in str(details)


async def test_missing_episodes_and_their_alerts_survive_a_downgrade_and_upgrade(
    db_url: str,
) -> None:
    """0007's downgrade keeps a missing child's alert (as an advice request) and drops the
    episodes' tables; the upgrade brings them back, empty."""
    at = datetime(2027, 1, 8, 23, 10, tzinfo=UTC).replace(tzinfo=None)
    db = Database.connect(db_url)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO escalation_policies (line_id, alert_kind, steps, repeat, "
                    "updated_at) VALUES (NULL, 'missing_high', '[]', 1, :at)"
                ),
                {"at": at},
            )
            await conn.execute(
                text(
                    "INSERT INTO alerts (kind, status, step_index, round, created_at, summary, "
                    "policy_id) VALUES ('missing_high', 'open', 0, 0, :at, 'missing child', "
                    "(SELECT id FROM escalation_policies WHERE alert_kind = 'missing_high'))"
                ),
                {"at": at},
            )
            await conn.execute(
                text(
                    "INSERT INTO missing_episodes (case_reference, risk, status, reported_at, "
                    "opened_at, opened_by, opened_via, returned_recorded_by, notes, "
                    "interview_recorded_by, updated_at) VALUES ('JY-1', 'high', 'open', :at, :at, "
                    "'sw002', 'sms', '', '', '', :at)"
                ),
                {"at": at},
            )
    finally:
        await db.dispose()
    await asyncio.to_thread(command.downgrade, alembic_config(db_url), "0006")
    db = Database.connect(db_url)
    try:
        async with db.engine.connect() as conn:
            kinds = (await conn.execute(text("SELECT kind, policy_id FROM alerts"))).all()
            policies = await conn.scalar(text("SELECT count(*) FROM escalation_policies"))
        assert kinds == [("advice_request", None)] and policies == 0
        await asyncio.to_thread(upgrade, db_url)
        async with db.engine.connect() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM missing_episodes")) == 0
        assert await current_revision(db) == head_revision()
    finally:
        await db.dispose()
