"""Deployment files and docs/deploy.md name only settings the service reads: no drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.settings import ENVIRONMENT_NAMES
from tests.deploy.files import DEPLOY, ROOT, SETTING_NAME, deploy_files

DOCUMENTS = [*deploy_files(), ROOT / "docs" / "deploy.md"]


def _names(path: Path) -> set[str]:
    return set(SETTING_NAME.findall(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_setting_named_is_one_the_service_reads(path: Path) -> None:
    unknown = _names(path) - set(ENVIRONMENT_NAMES)
    assert not unknown, f"{path.relative_to(ROOT)} names settings oncall/settings.py lacks"


def test_the_deployment_files_name_the_settings_production_needs() -> None:
    # Guards the check above against a pattern that silently matches nothing.
    named = set().union(*(_names(p) for p in deploy_files()))
    required = {
        "ONCALL_DATABASE_URL",
        "ONCALL_PUBLIC_URL",
        "ONCALL_SECRET_KEY",
        "ONCALL_FALLBACK_NUMBER",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_AUTH_TOKEN_SECONDARY",
    }
    assert required <= named
    assert (DEPLOY / "Dockerfile") in deploy_files()
