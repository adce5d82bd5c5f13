"""`oncall alerts …` in-process against a migrated SQLite file with the demo data."""

from __future__ import annotations

import asyncio
import logging

import pytest
import structlog

from oncall.cli import main
from oncall.db.engine import Database
from tests.support import load_demo_data


def test_alerts_commands(sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
                         capfd: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    async def load() -> None:
        db = Database.connect(sqlite_url)
        try:
            await load_demo_data(db)
        finally:
            await db.dispose()

    asyncio.run(load())
    monkeypatch.setenv("ONCALL_DATABASE_URL", sqlite_url)
    try:
        _run_commands(capfd)
    finally:
        # main() points logging at this test's captured stream; later tests must not write there
        logging.getLogger().handlers.clear()
        structlog.reset_defaults()


def _run_commands(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["alerts", "policies"]) == 0
    out = capfd.readouterr().out
    assert "missed_call (every line): duty_worker+second_worker by sms+voice, wait 1 min" in out
    assert main(["alerts", "list"]) == 0
    assert capfd.readouterr().out.strip() == "no alerts"
    assert main(["alerts", "run-once"]) == 0  # nothing due: nothing sent, no provider needed
    assert capfd.readouterr().out.startswith("0 escalation steps run; 0 messages sent")
