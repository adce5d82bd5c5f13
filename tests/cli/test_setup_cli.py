"""`oncall setup lines` on a fresh migrated database: the lines, day desk, templates, policies."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select

from oncall.db.engine import Database
from oncall.db.models import EscalationPolicy, Line, ServiceCalendar, ShiftTemplate
from oncall.domain.audit.describe import _SENTENCES, describe_event
from tests.audit.test_event_kinds import written_kinds
from tests.cli.cli_support import events, run_cli

NUMBERS = ["--police", "+44 1534 700101", "--hospital", "01534 700102", "--foster", "01534700103"]


def _state(db_url: str) -> tuple[dict[str, tuple[str, str]], int, int, list[str]]:
    """({kind: (name, number)}, templates, policies, day desk numbers)."""

    async def read() -> tuple[dict[str, tuple[str, str]], int, int, list[str]]:
        db = Database.connect(db_url)
        try:
            async with db.sessions() as session:
                lines = (await session.scalars(select(Line))).all()
                templates = await session.scalar(select(func.count()).select_from(ShiftTemplate))
                policies = await session.scalar(select(func.count()).select_from(EscalationPolicy))
                desks = (await session.scalars(select(ServiceCalendar.day_desk_number))).all()
                return (
                    {line.kind: (line.name, line.twilio_number) for line in lines},
                    templates or 0,
                    policies or 0,
                    list(desks),
                )
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_setup_lines_creates_the_service_once_and_renumbers_on_a_second_run(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run_cli(monkeypatch, capsys, db_url,
                    ["setup", "lines", *NUMBERS, "--day-desk", "01534 700100"])  # fmt: skip
    assert first.status == 0, first.err
    assert "Police HQ line created: +44 1534 700101" in first.out
    assert "Foster carers line created" in first.out and "day desk set" in first.out
    lines, templates, policies, desks = _state(db_url)
    assert lines == {
        "police": ("Police HQ", "+441534700101"),
        "hospital": ("General Hospital", "+441534700102"),
        "foster": ("Foster carers", "+441534700103"),
    }
    assert templates == 8 and policies >= 1 and desks == ["+441534700100"]
    assert f"{templates} default shift templates added" in first.out

    again = run_cli(monkeypatch, capsys, db_url, ["setup", "lines", *NUMBERS])
    assert again.status == 0 and "nothing changed" in again.out
    assert _state(db_url) == (lines, templates, policies, desks)

    moved = [*NUMBERS[:-1], "+44 1534 700104"]
    renumbered = run_cli(monkeypatch, capsys, db_url, ["setup", "lines", *moved])
    assert renumbered.status == 0
    assert renumbered.out.strip() == "Foster carers line renumbered: +44 1534 700104"
    after, *rest = _state(db_url)
    assert after["foster"] == ("Foster carers", "+441534700104") and rest == [
        templates, policies, desks,
    ]  # fmt: skip

    written = events(db_url)
    kinds = [kind for kind, _, _ in written]
    assert kinds.count("line.configured") == 4
    assert {"day_desk.configured", "templates.defaults_added", "policies.defaults_added"} <= set(
        kinds
    )
    assert all(actor.startswith("cli") for _, actor, _ in written)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--police", "12", *NUMBERS[2:]], "--police"),
        ([*NUMBERS[:2], "--hospital", "not a number", *NUMBERS[4:]], "--hospital"),
        ([*NUMBERS, "--day-desk", "+44"], "--day-desk"),
        ([*NUMBERS[:4], "--foster", "+44 1534 700101"], "--police and --foster"),
    ],
)
def test_bad_numbers_are_refused_naming_the_option_and_nothing_is_written(
    args: list[str],
    named: str,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = run_cli(monkeypatch, capsys, sqlite_url, ["setup", "lines", *args])
    assert result.status == 2
    assert named in result.err
    assert _state(sqlite_url) == ({}, 0, 0, [])
    assert events(sqlite_url) == []


def test_a_number_taken_by_another_line_fails_and_leaves_everything(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(monkeypatch, capsys, sqlite_url, ["setup", "lines", *NUMBERS]).status == 0
    before, written = _state(sqlite_url), events(sqlite_url)
    swapped = ["--police", "01534700102", "--hospital", "01534700101", "--foster", "01534700103"]
    result = run_cli(monkeypatch, capsys, sqlite_url, ["setup", "lines", *swapped])
    assert result.status == 1
    assert "--police" in result.err and "General Hospital line" in result.err
    assert _state(sqlite_url) == before and events(sqlite_url) == written


def test_every_kind_setup_and_user_commands_write_has_a_sentence() -> None:
    oncall = Path(__file__).resolve().parents[2] / "oncall" / "domain"
    kinds = written_kinds(oncall / "setup" / "service.py") | written_kinds(
        oncall / "people" / "user_admin.py"
    )
    assert {"line.configured", "user.created", "user.password_changed", "token.revoked"} <= kinds
    assert sorted(k for k in kinds if k not in _SENTENCES) == []
    for kind in kinds:
        assert describe_event(kind, {})
