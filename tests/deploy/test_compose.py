"""deploy/compose.yaml: valid Compose, services wired in the right order, settings that exist."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from oncall.settings import ENVIRONMENT_NAMES, SettingsError, load_settings
from tests.deploy.files import DEPLOY, NGINX, PLACEHOLDER, env_file, yaml_documents
from tests.deploy.nginx_config import (
    SNIPPET_INSTALLED_AT,
    inlined,
    main_config,
    parse,
    upstream_servers,
    walk,
)

COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "oncall.env.example"


def _compose() -> dict[str, Any]:
    (document,) = yaml_documents(COMPOSE)
    return document


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return services


def test_compose_file_matches_the_compose_specification() -> None:
    # check-jsonschema ships the Compose Specification's JSON schema (Apache-2.0), the one
    # `docker compose config` applies; no Docker engine or compose plugin runs here.
    checker = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_dependency_is_a_service_and_the_order_is_migrate_then_app() -> None:
    services = _services()
    for name, service in services.items():
        for needed in service.get("depends_on", {}):
            assert needed in services, f"{name} depends on unknown service {needed}"
    assert services["migrate"]["command"] == ["oncall", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    app = services["app"]
    assert app["command"] == ["oncall", "serve"]
    assert app["deploy"]["replicas"] == 2
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["nginx"]["depends_on"]["app"]["condition"] == "service_healthy"
    assert services["nginx"]["depends_on"]["webhooks"]["condition"] == "service_healthy"


def test_the_webhook_process_is_the_app_without_the_loops() -> None:
    services = _services()
    app, webhooks = services["app"], services["webhooks"]
    assert webhooks["deploy"]["replicas"] == 1
    assert webhooks["environment"] == {**app["environment"], "ONCALL_ESCALATION_WORKERS": "off"}
    assert "ONCALL_ESCALATION_WORKERS" not in app["environment"]
    apart = ("deploy", "environment", "cpu_shares")
    same = {k: v for k, v in app.items() if k not in apart}
    assert {k: v for k, v in webhooks.items() if k not in apart} == same
    # When the CPU is short, the callers' process gets the larger share (Docker's default: 1024).
    assert webhooks["cpu_shares"] > app.get("cpu_shares", 1024)


def test_postgres_keeps_its_data_and_reports_health() -> None:
    postgres = _services()["postgres"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert postgres["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    (secret,) = postgres["secrets"]
    assert secret in _compose()["secrets"]


def test_only_nginx_publishes_ports() -> None:
    published = {name for name, s in _services().items() if s.get("ports")}
    assert published == {"nginx"}


def test_app_environment_names_real_settings_and_no_secret() -> None:
    for name in ("migrate", "app", "webhooks"):
        service = _services()[name]
        environment = service.get("environment", {})
        assert set(environment) <= set(ENVIRONMENT_NAMES)
        assert not {"ONCALL_SECRET_KEY", "TWILIO_AUTH_TOKEN", "ONCALL_DATABASE_URL"} & set(
            environment
        ), "secrets belong in oncall.env, not in compose.yaml"
        (source,) = service["env_file"]
        assert (DEPLOY / source["path"]).name == "oncall.env"


def test_nginx_upstream_and_health_check_use_the_port_the_app_listens_on(tmp_path: Path) -> None:
    app = _services()["app"]
    port = app["environment"]["ONCALL_PORT"]
    assert app["expose"] == [port]
    assert f"127.0.0.1:{port}/readyz" in " ".join(app["healthcheck"]["test"])
    site = NGINX / "compose.conf"
    directives = inlined(parse(main_config(site, tmp_path)))
    assert upstream_servers(directives, "oncall") == [f"app:{port}"]
    webhooks = _services()["webhooks"]["environment"]["ONCALL_PORT"]
    assert upstream_servers(directives, "oncall_webhooks") == [
        f"webhooks:{webhooks}",
        f"app:{port}",
    ]
    mounts = {v.split(":")[0]: v.split(":")[1] for v in _services()["nginx"]["volumes"]}
    assert mounts["./nginx/compose.conf"] == "/etc/nginx/conf.d/default.conf"
    assert mounts["./nginx/oncall-proxy.conf"] == SNIPPET_INSTALLED_AT
    assert mounts["./tls"] == "/etc/nginx/tls"


def test_env_example_names_only_real_settings() -> None:
    assert set(env_file(ENV_EXAMPLE)) <= set(ENVIRONMENT_NAMES)


def test_env_example_refuses_to_start_until_its_placeholders_are_filled() -> None:
    example = env_file(ENV_EXAMPLE)
    with pytest.raises(SettingsError) as caught:
        load_settings(example)
    named = {problem.split(":", 1)[0] for problem in caught.value.problems}
    placeholders = {name for name, value in example.items() if PLACEHOLDER in value}
    # Refused for the placeholders and nothing else. (The auth token and the database password
    # are free text; the account SID beside the token and PostgreSQL itself refuse those.)
    assert named
    assert named <= placeholders


def test_env_example_filled_in_is_a_valid_production_configuration() -> None:
    filled = {
        **env_file(ENV_EXAMPLE),
        "ONCALL_DATABASE_URL": "postgresql://oncall:0123abcd@postgres:5432/oncall",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "f" * 32,
        "ONCALL_SECRET_KEY": "a" * 64,
        "ONCALL_FALLBACK_NUMBER": "01534 700100",
        **_services()["app"]["environment"],
    }
    settings = load_settings(filled)
    assert settings.telephony == "twilio"
    assert settings.public_url.startswith("https://")
    assert settings.database_url.startswith("postgresql+asyncpg://")
    assert (settings.host, settings.port) == ("0.0.0.0", 8080)  # noqa: S104  (in a container)


def test_nginx_image_is_new_enough_for_the_re_resolving_upstream(tmp_path: Path) -> None:
    # `server app:8080 resolve` (re-resolving replicas via Docker's DNS) came to open-source
    # nginx in 1.27.3; an older image refuses to start with that site.
    directives = inlined(parse(main_config(NGINX / "compose.conf", tmp_path)))
    servers = [d["args"] for d, _ in walk(directives) if d["directive"] == "server" and d["args"]]
    assert any("resolve" in args for args in servers if args[0].startswith("app:"))
    image = _services()["nginx"]["image"]
    name, _, tag = image.partition(":")
    assert name == "nginx"
    major, minor, *patch = (int(part) for part in tag.split("-")[0].split("."))
    assert (major, minor, *(patch or [99])) >= (1, 27, 3), image
