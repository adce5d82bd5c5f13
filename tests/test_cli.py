"""The `oncall` command as a user runs it: a real process, a real database, real exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from oncall.cli import main
from oncall.domain.calls.journal import FailsafeJournal

COMMANDS = [
    [],
    ["serve"],
    ["db"],
    ["db", "upgrade"],
    ["db", "current"],
    ["demo"],
    ["demo", "load"],
    ["token"],
    ["token", "create"],
    ["settings"],
    ["audit"],
    ["audit", "verify"],
    ["twilio"],
    ["twilio", "fallback-twiml"],
    ["twilio", "urls"],
]


def run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("ONCALL_", "TWILIO_"))}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "oncall", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a) or "oncall")
def test_every_command_has_help(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*args, "--help"])
    assert exited.value.code == 0
    assert "usage: oncall" in capsys.readouterr().out


def test_python_dash_m_oncall_runs() -> None:
    result = run(["--help"])
    assert result.returncode == 0
    assert "usage: oncall" in result.stdout


def test_upgrade_load_and_token_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    env = {"ONCALL_DATABASE_URL": f"sqlite:///{tmp_path}/sub/dir/oncall.db"}
    assert run(["db", "current"], env).returncode == 1  # empty database: behind
    first = run(["db", "upgrade"], env)
    assert first.returncode == 0, first.stderr
    assert "revision" in first.stdout
    assert run(["db", "upgrade"], env).returncode == 0  # idempotent
    current = run(["db", "current"], env)
    assert current.returncode == 0 and "up to date" in current.stdout
    load = run(["demo", "load", "--if-empty", "--anchor", "2027-01"], env)
    assert load.returncode == 0 and "38 people" in load.stdout, load.stderr
    # make run's demo has a published rota, so someone is on duty from the first call
    assert "rota 2027-01 version 1 published" in load.stdout, load.stdout
    again = run(["demo", "load", "--if-empty"], env)
    assert again.returncode == 0 and "left as it is" in again.stdout
    assert run(["demo", "load"], env).returncode == 1
    # the demo's missing episodes were made as nights make them, each change an event
    demo = run(["audit", "verify"], env)
    assert demo.returncode == 0 and "all links hold" in demo.stdout
    logged = int(demo.stdout.split("chain verified: ", 1)[1].split(" ", 1)[0])
    token = run(["token", "create", "admin"], env)
    assert token.returncode == 0 and token.stdout.startswith("oc_")
    verify = run(["audit", "verify"], env)
    # one more: token.created
    assert verify.returncode == 0 and f"chain verified: {logged + 1} events" in verify.stdout
    unknown = run(["token", "create", "nobody"], env)
    assert unknown.returncode == 1 and "no active user named 'nobody'" in unknown.stderr


@pytest.mark.parametrize("where", ["missing-folder", "a-folder", "held"])
def test_serve_refuses_a_fail_safe_journal_it_cannot_use_naming_the_setting(
    tmp_path: Path, where: str
) -> None:
    env = {"ONCALL_DATABASE_URL": f"sqlite:///{tmp_path}/oncall.db", "ONCALL_PORT": "1"}
    assert run(["db", "upgrade"], env).returncode == 0
    journal = tmp_path / "journal"
    held = None
    if where == "missing-folder":
        (tmp_path / "file").write_text("")
        journal = tmp_path / "file" / "journal"  # its folder is a file
    elif where == "a-folder":
        journal.mkdir()
    else:
        held = FailsafeJournal(journal)  # another replica's
    try:
        result = run(["serve"], {**env, "ONCALL_FAILSAFE_JOURNAL": str(journal)})
    finally:
        if held is not None:
            held.close()
    assert result.returncode == 1, result.stderr
    assert "cannot start: ONCALL_FAILSAFE_JOURNAL" in result.stderr
    assert str(journal) in result.stderr and "Traceback" not in result.stderr


def test_bad_settings_exit_2_naming_each_value() -> None:
    result = run(["settings"], {"ONCALL_PORT": "0", "ONCALL_TELEPHONY": "smoke-signals"})
    assert result.returncode == 2
    assert "ONCALL_PORT" in result.stderr and "ONCALL_TELEPHONY" in result.stderr


def test_an_unreachable_database_is_one_clear_message() -> None:
    env = {"ONCALL_DATABASE_URL": "postgresql://someone:s3cret@127.0.0.1:9/oncall"}
    for args in (["db", "upgrade"], ["serve"]):
        result = run(args, env)
        assert result.returncode == 1
        assert "cannot" in result.stderr and "database" in result.stderr
        assert "s3cret" not in result.stderr + result.stdout
        assert "Traceback" not in result.stderr


def test_serve_refuses_a_database_that_is_not_upgraded(tmp_path: Path) -> None:
    result = run(["serve"], {"ONCALL_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert result.returncode == 1 and "oncall db upgrade" in result.stderr


def test_fallback_twiml_is_valid_and_names_its_numbers() -> None:
    from xml.etree import ElementTree

    result = run(["twilio", "fallback-twiml"], {"ONCALL_FALLBACK_NUMBER": "01534 700199"})
    assert result.returncode == 0, result.stderr
    root = ElementTree.fromstring(result.stdout)
    assert root.tag == "Response"
    assert [n.text for n in root.iter("Number")] == ["+441534700199"]
    several = run(
        ["twilio", "fallback-twiml", "--number", "07797 910000", "--number", "01534700199"]
    )
    assert [n.text for n in ElementTree.fromstring(several.stdout).iter("Number")] == [
        "+447797910000",
        "+441534700199",
    ]
    assert run(["twilio", "fallback-twiml"]).returncode == 1
    bad = run(["twilio", "fallback-twiml", "--number", "12"])
    assert bad.returncode == 1 and "--number" in bad.stderr


def test_twilio_urls_use_the_public_url() -> None:
    result = run(["twilio", "urls"], {"ONCALL_PUBLIC_URL": "https://oncall.example.org/"})
    assert "https://oncall.example.org/twilio/voice/incoming" in result.stdout
    assert "https://oncall.example.org/twilio/sms/incoming" in result.stdout
