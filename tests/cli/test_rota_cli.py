"""`oncall rota …` as a coordinator runs it: real processes, a SQLite file, the real solver."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from oncall.cli import main


def run(args: list[str], database: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONCALL_", "TWILIO_"))}
    env["ONCALL_DATABASE_URL"] = f"sqlite:///{database}"
    return subprocess.run(
        [sys.executable, "-m", "oncall", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def ok(args: list[str], database: Path) -> str:
    result = run(args, database)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Upgraded and loaded once, in this process (a new one costs seconds on a busy machine)."""
    database = tmp_path_factory.mktemp("rota-cli") / "template.db"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ONCALL_DATABASE_URL", f"sqlite:///{database}")
        assert main(["db", "upgrade"]) == 0
        assert main(["demo", "load", "--anchor", "2027-01", "--no-rota"]) == 0
    return database


@pytest.fixture
def demo_file(demo_template: Path, tmp_path: Path) -> Path:
    database = tmp_path / "oncall.db"
    shutil.copyfile(demo_template, database)
    return database


def test_generate_show_publish_repair_export(
    demo_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = demo_file
    generated = run(["rota", "generate", "2027-01", "--time-limit", "60"], db)
    assert generated.returncode == 0, generated.stderr
    assert generated.stdout.startswith("2027-01 version 1: draft, solver ")
    assert "fairness" in generated.stderr and "bound" in generated.stderr  # progress
    assert "most over" in generated.stdout and "Broken requests: none" in generated.stdout

    shown = ok(["rota", "show", "2027-01"], db)
    assert "First tier (social workers)" in shown and "Senior managers" in shown
    assert "Fri 01 Jan 2027-01-01-w  09:00 to Sat 02 09:00" in shown
    assert "proven best" in shown

    assert "version 1 published" in ok(["rota", "publish", "2027-01", "--by", "coord"], db)

    # Whoever has the Friday 15 January night falls sick on the 12th for four days.
    json_file = tmp_path / "rota.json"
    monkeypatch.setenv("ONCALL_DATABASE_URL", f"sqlite:///{db}")
    assert main(["rota", "export", "2027-01", "--format", "json", "-o", str(json_file)]) == 0
    document = json.loads(json_file.read_text())
    friday = next(s for s in document["shifts"] if s["id"] == "2027-01-15-w")
    sick = friday["people"][0]["id"]
    repaired = ok(
        ["rota", "repair", "2027-01", "--person", sick, "--unavailable", "2027-01-12",
         "2027-01-15", "--now", "2027-01-10T12:00", "--time-limit", "60", "--publish"], db,
    )  # fmt: skip
    # Optimal on a quiet machine; a busy one may stop at the time limit with a legal rota.
    assert re.search(
        rf"version 2: draft, solver (optimal|feasible), repair: {sick} unavailable", repaired
    ), repaired
    move = next(line for line in repaired.splitlines() if "2027-01-15-w" in line)
    assert sick in move and "version 2 published" in repaired

    ics_file, csv_file = tmp_path / "rota.ics", tmp_path / "rota.csv"
    ok(["rota", "export", "2027-01", "--format", "ics", "-o", str(ics_file)], db)
    exported = main(
        ["rota", "export", "2027-01", "--format", "csv", "--version", "1", "-o", str(csv_file)]
    )
    assert exported == 0
    ics = ics_file.read_bytes()
    assert ics.startswith(b"BEGIN:VCALENDAR\r\n") and ics.count(b"BEGIN:VEVENT") == 52
    assert ics.count(f"UID:2027-01-15-w.{sick}@".encode()) == 0  # moved off in version 2
    rows = csv_file.read_bytes().split(b"\r\n")
    assert len(rows) == 54 and rows[-1] == b""  # header, 52 places, final CRLF
    assert b",2027-01-15-w," in b"".join(r for r in rows if sick.encode() in r)  # version 1


def fails(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the command in this process (quicker than a new one); it must fail with status 1."""
    assert main(args) == 1
    return capsys.readouterr().err


def test_bad_input_is_one_message_naming_the_field(
    demo_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ONCALL_DATABASE_URL", f"sqlite:///{demo_file}")
    repair = ["rota", "repair", "2027-01", "--now", "2027-01-10T12:00", "--time-limit", "60"]
    sw004 = [*repair, "--person", "sw004", "--unavailable"]
    assert "month: expected YYYY-MM" in fails(["rota", "generate", "2027-13"], capsys)
    assert "month: no rota has been generated for 2027-02" in fails(
        ["rota", "show", "2027-02"], capsys
    )
    assert "month: 2027-01 has no published rota" in fails(
        [*sw004, "2027-01-12", "2027-01-14"], capsys
    )
    assert main(["rota", "generate", "2027-01", "--time-limit", "60"]) == 0
    assert "version: 2027-01 has no version 9" in fails(
        ["rota", "show", "2027-01", "--version", "9"], capsys
    )
    assert main(["rota", "publish", "2027-01"]) == 0
    assert "version: 2027-01 has no draft version" in fails(["rota", "publish", "2027-01"], capsys)
    assert "person: nobody has the code 'zz001'" in fails(
        [*repair, "--person", "zz001", "--unavailable", "2027-01-12", "2027-01-14"], capsys
    )
    assert "--unavailable: TO (2027-01-11T09:00) is not after FROM" in fails(
        [*sw004, "2027-01-12", "2027-01-11T09:00"], capsys
    )
    assert "--unavailable FROM: expected a date" in fails(
        [*sw004, "next week", "2027-01-11"], capsys
    )
    assert "--now: expected a date" in fails(
        [*sw004, "2027-01-12", "2027-01-13", "--now", "x"], capsys
    )
    capsys.readouterr()
    # None of the failures wrote anything: still the one published version.
    assert main(["rota", "show", "2027-01"]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert (
        shown[0].startswith("2027-01 version 1: published") and shown[1] == "versions: 1 published"
    )
