"""Settings: defaults, one clear message per bad value, secrets never shown."""

from __future__ import annotations

import pytest

from oncall.settings import ENVIRONMENT_NAMES, SettingsError, load_settings


def test_defaults_suit_a_fresh_clone() -> None:
    settings = load_settings({})
    assert settings.database_url == "sqlite+aiosqlite:///var/oncall.db"
    assert settings.timezone == "Europe/Jersey"
    assert settings.telephony == "fake"
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)


def test_every_bad_value_is_named_in_one_error() -> None:
    env = {
        "ONCALL_PORT": "eighty",
        "ONCALL_TIMEZONE": "Jersey/Nowhere",
        "ONCALL_TELEPHONY": "carrier-pigeon",
        "ONCALL_PUBLIC_URL": "ftp://example.org",
        "ONCALL_DATABASE_URL": "mysql://x",
        "ONCALL_LOG_FORMAT": "xml",
        "ONCALL_FALLBACK_NUMBER": "12",
    }
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    named = {problem.split(":", 1)[0] for problem in caught.value.problems}
    assert named == set(env)


def test_postgres_urls_get_the_async_driver() -> None:
    settings = load_settings({"ONCALL_DATABASE_URL": "postgres://u:pw@db:5432/oncall"})
    assert settings.database_url == "postgresql+asyncpg://u:pw@db:5432/oncall"


def test_twilio_mode_requires_its_credentials() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"ONCALL_TELEPHONY": "twilio"})
    named = {problem.split(":", 1)[0] for problem in caught.value.problems}
    assert {"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "ONCALL_SECRET_KEY"} <= named


def test_secrets_never_appear_in_repr_or_description() -> None:
    token, key = "tok-" + "9" * 28, "k" * 40
    settings = load_settings(
        {
            "ONCALL_TELEPHONY": "twilio",
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": token,
            "ONCALL_SECRET_KEY": key,
            "ONCALL_FALLBACK_NUMBER": "01534 700100",
            "ONCALL_DATABASE_URL": "postgresql://u:hunter2@db/oncall",
        }
    )
    shown = repr(settings) + str(settings.describe())
    for secret in (token, key, "hunter2"):
        assert secret not in shown
    assert settings.describe()["twilio_auth_token"] == "(set)"
    assert settings.fallback_number == "+441534700100"


def test_readme_documents_every_setting() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    missing = [name for name in ENVIRONMENT_NAMES if name not in readme]
    assert missing == []


@pytest.mark.parametrize(
    ("pattern", "said"),
    [
        ("CR-[0-9]{6}", "must be anchored"),
        ("^CR-[0-9]{6}", "must be anchored"),
        ("^CR-1$|^JY-2$", "must be anchored"),  # each alternative anchored, the whole not
        ("^CR-[0-9]+$", "must match references of 1 to 40 characters"),
        ("^[A-Z]{10,50}$", "must match references of 1 to 40 characters"),
        ("^x?$", "must match references of 1 to 40 characters"),  # the empty text too
        ("^CR-[0-9{6}$", "is not a regular expression"),
        ("^" + "A" * 199 + "$", "at most 200 characters"),
    ],
)
def test_a_case_reference_pattern_must_compile_be_anchored_and_bounded(
    pattern: str, said: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"ONCALL_CASE_REFERENCE_PATTERN": pattern})
    (problem,) = caught.value.problems
    assert problem.startswith("ONCALL_CASE_REFERENCE_PATTERN: ") and said in problem


def test_missing_episode_settings_have_defaults_and_take_good_values() -> None:
    defaults = load_settings({})
    assert defaults.return_interview_hours == 72
    assert defaults.case_reference_pattern == r"^[A-Z]{2,4}-?[0-9]{3,10}$"
    chosen = load_settings(
        {"ONCALL_CASE_REFERENCE_PATTERN": r"\ACR[0-9]{6}\Z", "ONCALL_RETURN_INTERVIEW_HOURS": "48"}
    )
    assert (chosen.case_reference_pattern, chosen.return_interview_hours) == (
        r"\ACR[0-9]{6}\Z", 48,
    )  # fmt: skip
    with pytest.raises(SettingsError, match="ONCALL_RETURN_INTERVIEW_HOURS"):
        load_settings({"ONCALL_RETURN_INTERVIEW_HOURS": "0"})


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("ONCALL_WEBHOOK_BUDGET_SECONDS", "0"),
        ("ONCALL_WEBHOOK_BUDGET_SECONDS", "15"),  # Twilio gives up at 15 s
        ("ONCALL_WEBHOOK_BUDGET_SECONDS", "nan"),
        ("ONCALL_WEBHOOK_BUDGET_SECONDS", "soon"),
        ("ONCALL_FAILSAFE_TWIML_FILE", "failsafe.xml"),  # not absolute
        ("ONCALL_FAILSAFE_TWIML_FILE", "/var/lib/oncall/failsafe.txt"),
        ("ONCALL_FAILSAFE_TWIML_FILE", "/var/lib/oncall/../../etc/x.xml"),
        ("ONCALL_FAILSAFE_JOURNAL", "journal.jsonl"),  # not absolute
        ("ONCALL_FAILSAFE_JOURNAL", "/var/lib/oncall/"),  # a folder
        ("ONCALL_FAILSAFE_JOURNAL", "/var/lib/oncall/../x"),
    ],
)
def test_the_webhook_budget_and_fail_safe_file_refuse_bad_values(name: str, raw: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({name: raw})
    assert caught.value.problems[0].startswith(f"{name}: ")


def test_the_webhook_budget_and_fail_safe_file_take_good_values() -> None:
    assert load_settings({}).webhook_budget_seconds == 5.0
    assert load_settings({}).failsafe_twiml_file == ""
    assert load_settings({}).failsafe_journal == ""
    settings = load_settings(
        {
            "ONCALL_WEBHOOK_BUDGET_SECONDS": "1.5",
            "ONCALL_FAILSAFE_TWIML_FILE": "/var/lib/oncall/failsafe.xml",
            "ONCALL_FAILSAFE_JOURNAL": "/var/lib/oncall/failsafe-journal",
        }
    )
    assert settings.failsafe_journal == "/var/lib/oncall/failsafe-journal"
    assert settings.webhook_budget_seconds == 1.5
    assert settings.failsafe_twiml_file == "/var/lib/oncall/failsafe.xml"
