"""The Dockerfile's shape (multi-stage, non-root, health check) and what the image is built from."""

from __future__ import annotations

import fnmatch
import json
import shlex
import tomllib
from pathlib import Path

from oncall.settings import ENVIRONMENT_NAMES
from tests.deploy.files import DEPLOY, ROOT, Instruction, dockerfile_instructions

DOCKERFILE = DEPLOY / "Dockerfile"
PACKAGES = ("oncall", "rota_solver", "integrations")


def _instructions() -> list[Instruction]:
    return dockerfile_instructions(DOCKERFILE)


def _stages() -> list[list[Instruction]]:
    stages: list[list[Instruction]] = []
    for instruction in _instructions():
        if instruction.keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def _env(stage: list[Instruction]) -> dict[str, str]:
    values: dict[str, str] = {}
    for instruction in stage:
        if instruction.keyword == "ENV":
            for pair in shlex.split(instruction.arguments):
                name, _, value = pair.partition("=")
                values[name] = value
    return values


def test_builds_in_a_builder_stage_and_runs_from_a_slim_python_311() -> None:
    stages = _stages()
    assert len(stages) == 2
    names = [stage[0].arguments.split()[-1] for stage in stages]
    assert names == ["builder", "runtime"]
    (arg,) = [i for i in _instructions() if i.keyword == "ARG" and "PYTHON_IMAGE" in i.arguments]
    assert arg.arguments.startswith("PYTHON_IMAGE=python:3.11-slim")
    runtime = stages[-1]
    copies = [i.arguments for i in runtime if i.keyword == "COPY"]
    assert copies == ["--from=builder /opt/oncall /opt/oncall"]


def test_runtime_runs_oncall_serve_as_an_unprivileged_user() -> None:
    runtime = _stages()[-1]
    (user,) = [i.arguments for i in runtime if i.keyword == "USER"]
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000, "a numeric non-root uid (runAsNonRoot checks it)"
    run_index = max(i for i, x in enumerate(runtime) if x.keyword == "RUN")
    user_index = next(i for i, x in enumerate(runtime) if x.keyword == "USER")
    assert user_index > run_index, "nothing may run as root after USER"
    (command,) = [i.arguments for i in runtime if i.keyword == "CMD"]
    assert json.loads(command) == ["oncall", "serve"]


def test_health_check_asks_healthz_on_the_port_the_app_listens_on() -> None:
    runtime = _stages()[-1]
    (check,) = [i.arguments for i in runtime if i.keyword == "HEALTHCHECK"]
    assert "/healthz" in check
    assert "--interval=" in check and "--timeout=" in check
    command = json.loads(check[check.index("CMD") + 3 :])
    assert command[0] == "python"
    assert "ONCALL_PORT" in command[-1]
    env = _env(runtime)
    (expose,) = [i.arguments for i in runtime if i.keyword == "EXPOSE"]
    assert expose == env["ONCALL_PORT"]


def test_production_defaults_are_real_settings() -> None:
    env = _env(_stages()[-1])
    settings = {k: v for k, v in env.items() if k.startswith(("ONCALL_", "TWILIO_"))}
    assert set(settings) <= set(ENVIRONMENT_NAMES)
    assert settings["ONCALL_TELEPHONY"] == "twilio"
    assert settings["ONCALL_HOST"] == "0.0.0.0"  # noqa: S104  (the container's own interface)
    assert settings["ONCALL_TIMEZONE"] == "Europe/Jersey"
    assert settings["ONCALL_LOG_FORMAT"] == "json"
    assert not {"ONCALL_SECRET_KEY", "TWILIO_AUTH_TOKEN", "ONCALL_DATABASE_URL"} & set(env)


def test_dockerignore_lets_in_exactly_what_the_build_copies() -> None:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert "*" in lines
    copied = {
        part.rstrip("/")
        for i in _stages()[0]
        if i.keyword == "COPY"
        for part in i.arguments.split()[:-1]
    }
    assert copied == allowed


def test_every_data_file_of_the_packages_goes_into_the_wheel() -> None:
    # The image installs the wheel, not the source tree: a template, migration or JSON file
    # that pyproject.toml's package-data does not match would be missing in production.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data: dict[str, list[str]] = config["tool"]["setuptools"]["package-data"]
    missing = []
    for package in PACKAGES:
        base = ROOT / package
        for path in sorted(base.rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            relative = path.relative_to(base).as_posix()
            if path.suffix == ".py" and _in_a_package(path):
                continue
            if not any(_matches(relative, p) for p in package_data.get(package, [])):
                missing.append(f"{package}/{relative}")
    assert not missing, f"not in pyproject.toml [tool.setuptools.package-data]: {missing}"


def _in_a_package(path: Path) -> bool:
    folder = path.parent
    while folder != ROOT:
        if not (folder / "__init__.py").is_file():
            return False
        folder = folder.parent
    return True


def _matches(relative: str, pattern: str) -> bool:
    # setuptools globs: `**/` matches any number of folders, `*` stays within one.
    if "**/" in pattern:
        head, tail = pattern.split("**/", 1)
        if not relative.startswith(head):
            return False
        rest = relative[len(head) :].split("/")
        return any(
            fnmatch.fnmatch("/".join(rest[i:]), tail) and "/" not in tail for i in range(len(rest))
        )
    return fnmatch.fnmatch(relative, pattern) and relative.count("/") == pattern.count("/")
