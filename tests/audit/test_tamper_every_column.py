"""Altering any column of any row, or moving a row, breaks the chain at that row (SQLite, PG)."""

from __future__ import annotations

import pytest

from oncall.db.engine import Database
from oncall.db.models import Event
from oncall.db.reading import connect_for_reading
from oncall.domain.chain import verify_chain
from tests.audit.night import write_night
from tests.domain.test_audit import _append, _tamper
from tests.support import load_demo_data

# One change per column of the events table; the test below fails if a column is added to the
# table without a case here (and so, possibly, without being covered by the hash).
CHANGES = {
    "occurred_at": "occurred_at = '2027-01-09 01:02:03'",
    "contact_id": "contact_id = <a real contact>",
    "kind": "kind = 'call.tampered'",
    "actor_type": "actor_type = 'user'",
    "actor": "actor = 'someone else'",
    "details": """details = '{"i": 3, "line": "hospital", "note": "x"}'""",
    "details_digest": "details_digest = '" + "0" * 64 + "'",
    "prev_hash": "prev_hash = '" + "1" * 64 + "'",
    "hash": "hash = '" + "2" * 64 + "'",
    "seq": "seq = 40",  # a row moved to the end: a gap where it was
}


async def _a_contact(database: Database) -> int:
    """A real contact, so the altered row still satisfies the foreign key."""
    await load_demo_data(database)
    async with database.sessions() as session:
        ids = await write_night(session)
        await session.commit()
    return ids[1]


def test_every_column_of_the_events_table_has_a_tampering_case() -> None:
    assert set(CHANGES) == {c.name for c in Event.__table__.columns}


@pytest.mark.parametrize("column", sorted(CHANGES))
async def test_altering_any_column_fails_verify_at_that_event(
    database: Database, column: str
) -> None:
    change = CHANGES[column]
    if column == "contact_id":
        change = f"contact_id = {await _a_contact(database)}"
    await _append(database, 7)
    await _tamper(database, f"UPDATE events SET {change} WHERE seq = 4")  # noqa: S608
    async with database.sessions() as session:
        report = await verify_chain(session, batch=3)
    assert report.broken is not None, column
    # Changing a row breaks it; moving it away leaves a gap noticed at the next row (5).
    assert report.broken.seq == (5 if column == "seq" else 4), (column, report.broken)


@pytest.mark.parametrize("seq", [1, 4, 7])
async def test_deleting_any_row_fails_verify_where_it_was(database: Database, seq: int) -> None:
    await _append(database, 7)
    await _tamper(database, f"DELETE FROM events WHERE seq = {seq}")  # noqa: S608
    async with database.sessions() as session:
        report = await verify_chain(session, batch=3)
    assert report.broken is not None
    # The first row gone: the next no longer starts the chain; the last gone: the head says so.
    assert report.broken.seq == (seq + 1 if seq < 7 else 7), report.broken


async def test_a_paced_walk_in_a_reading_database_finds_the_same_as_a_plain_one(
    database: Database, db_url: str
) -> None:
    """The server's walk (a worker's: paced, its transactions only reading, committed between
    batches) reports what an unpaced walk does, whole or broken."""
    await _append(database, 7)
    reader = connect_for_reading(db_url)
    try:
        async with reader.sessions() as session:
            whole = await verify_chain(session, batch=2, share=0.5)
        assert whole.ok and (whole.checked, whole.last_seq) == (7, 7)
        await _tamper(database, "UPDATE events SET actor = 'someone else' WHERE seq = 6")
        async with reader.sessions() as session:
            paced = await verify_chain(session, batch=2, share=0.5)
        async with database.sessions() as session:
            plain = await verify_chain(session, batch=2)
        assert paced == plain and paced.broken is not None and paced.broken.seq == 6
        with pytest.raises(ValueError, match="share"):
            async with reader.sessions() as session:
                await verify_chain(session, share=0)
    finally:
        await reader.dispose()
