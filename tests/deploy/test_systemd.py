"""The systemd units pass `systemd-analyze verify` cleanly and keep a low exposure score."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.files import SYSTEMD

UNITS = sorted(SYSTEMD.glob("*.service"))
SYSTEM_UNITS = Path("/usr/lib/systemd/system")

pytestmark = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None or not SYSTEM_UNITS.is_dir(),
    reason="systemd-analyze (systemd) is not installed on this machine",
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A file system root holding the units, systemd's own units and the venv's `oncall`.

    `verify` checks that ExecStart's program exists: /opt/oncall/bin/oncall is given as an
    empty executable here, under --root, so the units are verified exactly as written.
    """
    program = tmp_path / "opt" / "oncall" / "bin" / "oncall"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    shutil.copytree(SYSTEM_UNITS, tmp_path / "usr" / "lib" / "systemd" / "system", symlinks=True)
    units = tmp_path / "etc" / "systemd" / "system"
    units.mkdir(parents=True)
    for unit in UNITS:
        shutil.copy(unit, units / unit.name)
    return tmp_path


def _analyze(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", *args, f"--root={root}"],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_units_are_the_service_its_webhook_process_and_its_migration() -> None:
    assert [u.name for u in UNITS] == [
        "oncall-migrate.service",
        "oncall-webhooks.service",
        "oncall.service",
    ]


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_unit_verifies_without_a_single_warning(unit: Path, root: Path) -> None:
    installed = root / "etc" / "systemd" / "system" / unit.name
    result = _analyze(root, "verify", str(installed))
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr  # unknown keys and bad values only warn


def test_a_misspelt_option_is_caught(root: Path) -> None:
    installed = root / "etc" / "systemd" / "system" / "oncall.service"
    text = installed.read_text().replace("ProtectSystem=strict", "ProtectSystm=strict")
    installed.write_text(text)
    result = _analyze(root, "verify", str(installed))
    assert "Unknown key" in result.stderr


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_unit_exposure_stays_in_the_ok_band(unit: Path, root: Path) -> None:
    installed = root / "etc" / "systemd" / "system" / unit.name
    # --threshold is the exposure score times ten: 20 is "2.0 OK" on systemd's 0-10 scale.
    result = _analyze(root, "security", "--offline=yes", "--threshold=20", str(installed))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr


def test_service_runs_the_venv_as_oncall_and_restarts() -> None:
    text = (SYSTEMD / "oncall.service").read_text(encoding="utf-8")
    for line in (
        "ExecStart=/opt/oncall/bin/oncall serve",
        "User=oncall",
        "EnvironmentFile=/etc/oncall/oncall.env",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
    ):
        assert line in text.splitlines(), line
    migrate = (SYSTEMD / "oncall-migrate.service").read_text(encoding="utf-8")
    assert "ExecStart=/opt/oncall/bin/oncall db upgrade" in migrate.splitlines()
    assert "Type=oneshot" in migrate.splitlines()


def _environment(unit: str) -> dict[str, str]:
    text = (SYSTEMD / unit).read_text(encoding="utf-8")
    return dict(
        pair.split("=", 1)
        for line in text.splitlines()
        if line.startswith("Environment=")
        for pair in line.removeprefix("Environment=").split()
    )


def test_the_webhook_process_is_the_service_on_its_own_port_without_the_loops() -> None:
    """Everything but its port, its journal and the loops is the service's own: the same
    program, user, settings and hardening, line for line."""
    service = (SYSTEMD / "oncall.service").read_text(encoding="utf-8").splitlines()
    webhooks = (SYSTEMD / "oncall-webhooks.service").read_text(encoding="utf-8").splitlines()
    settings = [line for line in service if line and not line.startswith(("#", "Environment="))]
    differ = {"Description", "SyslogIdentifier", "CPUWeight"}
    assert [line for line in settings if line.split("=", 1)[0] not in differ] == [
        line
        for line in webhooks
        if line
        and not line.startswith(("#", "Environment="))
        and line.split("=", 1)[0] not in differ
    ]
    app, own = _environment("oncall.service"), _environment("oncall-webhooks.service")
    assert own["ONCALL_ESCALATION_WORKERS"] == "off" and "ONCALL_ESCALATION_WORKERS" not in app
    assert own["ONCALL_HOST"] == app["ONCALL_HOST"] and own["ONCALL_PORT"] != app["ONCALL_PORT"]
    assert own["ONCALL_FAILSAFE_JOURNAL"] != app["ONCALL_FAILSAFE_JOURNAL"]
    # When the CPU is short, the callers' process gets the larger share (systemd's default: 100).
    assert _weight(webhooks) > _weight(service)


def _weight(unit: list[str]) -> int:
    (weight,) = [line for line in unit if line.startswith("CPUWeight=")] or ["CPUWeight=100"]
    return int(weight.removeprefix("CPUWeight="))
