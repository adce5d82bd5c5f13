"""`oncall alerts …` in-process against a migrated SQLite file with the demo data."""

from __future__ import annotations

import asyncio

import pytest

from oncall.cli import main
from oncall.db.engine import Database
from tests.support import load_demo_data


def test_alerts_commands(sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    async def load() -> None:
        db = Database.connect(sqlite_url)
        try:
            await load_demo_data(db)
        finally:
            await db.dispose()

    asyncio.run(load())
    monkeypatch.setenv("ONCALL_DATABASE_URL", sqlite_url)
    assert main(["alerts", "policies"]) == 0
    out = capsys.readouterr().out
    assert "missed_call (every line): duty_worker by sms+voice, wait 5 min" in out
    assert main(["alerts", "list"]) == 0
    assert capsys.readouterr().out.strip() == "no alerts"
    assert main(["alerts", "run-once"]) == 0  # nothing due: nothing sent, no provider needed
    assert capsys.readouterr().out.startswith("0 escalation steps run; 0 messages sent")
