"""`oncall audit …` as an operator runs it: verify catches tampering, redact keeps the chain."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog
from sqlalchemy import select, text

from oncall.cli import main
from oncall.db.engine import Database
from oncall.db.models import ActorType, Contact, Event
from oncall.domain.chain import EventKind, append_event
from tests.audit.night import write_night
from tests.support import load_demo_data

OLD = datetime(2020, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """main() points logging at the captured stderr; give later tests their logging back."""
    config = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.configure(**config)
    root.handlers, root.level = handlers, level


async def _seed(url: str) -> None:
    """Six events of 2020 with details, then the known night of January 2027."""
    db = Database.connect(url)
    try:
        await load_demo_data(db)
        async with db.sessions() as session:
            ids = await write_night(session)
            for i in range(6):
                await append_event(
                    session, kind=EventKind.CALL_RANG, at=OLD + timedelta(minutes=i),
                    contact_id=ids[1], actor_type=ActorType.SYSTEM,
                    details={"person": "sw002", "attempt": i + 1, "note": "=cmd"},
                )  # fmt: skip
            old = await session.get(Contact, ids[5])
            assert old is not None
            old.received_at, old.outcome_notes, old.recording_url = OLD, "notes", "http://rec"
            await session.commit()
    finally:
        await db.dispose()


async def _tamper(url: str, statement: str) -> None:
    db = Database.connect(url)
    try:
        async with db.engine.begin() as conn:
            if db.is_sqlite:
                await conn.execute(text("DROP TRIGGER IF EXISTS events_no_update"))
                await conn.execute(text("DROP TRIGGER IF EXISTS events_no_delete"))
            else:
                await conn.execute(text("SET LOCAL session_replication_role = replica"))
            await conn.execute(text(statement))
    finally:
        await db.dispose()


async def _events_only(url: str) -> None:
    db = Database.connect(url)
    try:
        async with db.sessions() as session:
            for i in range(6):
                await append_event(
                    session, kind=EventKind.CALL_RANG, at=OLD + timedelta(minutes=i),
                    details={"person": "sw002", "attempt": i + 1},
                )  # fmt: skip
            await session.commit()
    finally:
        await db.dispose()


def test_verify_names_the_first_broken_event(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each tampering is earlier in the chain than the last, so each becomes the first break."""
    monkeypatch.setenv("ONCALL_DATABASE_URL", db_url)
    asyncio.run(_events_only(db_url))
    assert main(["audit", "verify"]) == 0
    assert "6 events, all links hold" in capsys.readouterr().out
    for statement, seq, words in [
        ("DELETE FROM events WHERE seq = 6", 6, "events at the end were deleted"),
        ("DELETE FROM events WHERE seq = 4", 5, "events 4 to 4 are missing"),
        ('UPDATE events SET details = \'{"person": "sm001"}\' WHERE seq = 3', 3, "details"),
        ("UPDATE events SET actor = 'someone' WHERE seq = 2", 2, "hash differs"),
        ("UPDATE events SET hash = prev_hash WHERE seq = 1", 1, "hash differs"),
    ]:
        asyncio.run(_tamper(db_url, statement))
        assert main(["audit", "verify"]) == 1, statement
        err = capsys.readouterr().err
        assert f"chain BROKEN at event {seq} " in err and words in err, err


def test_redact_export_and_handover(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("ONCALL_DATABASE_URL", db_url)
    asyncio.run(_seed(db_url))
    assert main(["audit", "redact", "--older-than", "365"]) == 0
    assert "details of 6 events and 1 contacts" in capsys.readouterr().out
    assert main(["audit", "verify", "--record"]) == 0
    out = tmp_path / "events.csv"
    assert main(["audit", "export", "events", "--from", "2020-03-01", "--to", "2020-03-01",
                 "--output", str(out)]) == 0  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 6 and all('"redacted"' in r["details"] for r in rows)
    capsys.readouterr()
    assert main(["audit", "export", "--from", "2027-01-08", "--to", "2027-01-09",
                 "--filter", "line=hospital"]) == 0  # fmt: skip
    contacts = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [c["reference"] for c in contacts] == ["OOH-2027-00003"]  # row 5 is now from 2020
    assert main(["audit", "handover", "--date", "2027-01-09", "--prepare"]) == 0
    printed = capsys.readouterr()
    assert "OOH-2027-00003" in printed.out and "prepared now" in printed.err
    assert main(["audit", "handover", "--date", "2027-01-09", "--prepare"]) == 0
    assert "already prepared" in capsys.readouterr().err

    async def log() -> list[tuple[str, dict[str, object]]]:
        db = Database.connect(db_url)
        try:
            async with db.sessions() as session:
                rows = await session.execute(
                    select(Event.kind, Event.details).where(Event.kind.startswith("audit."))
                    .order_by(Event.seq)
                )  # fmt: skip
                return [(k, d) for k, d in rows.all()]
        finally:
            await db.dispose()

    kinds = [(k, d.get("what") or d.get("ok")) for k, d in asyncio.run(log())]
    assert kinds == [
        ("audit.redacted", None),
        ("audit.verified", True),
        ("audit.read", "events export (CSV, command line)"),
        ("audit.read", "contacts export (CSV, command line)"),
        ("audit.read", "handover (command line)"),
        ("audit.read", "handover (command line)"),
    ]
