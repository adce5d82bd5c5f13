"""Settings read once from the environment into a frozen object, one message per bad value."""

from __future__ import annotations

import importlib
import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import time
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from oncall.phones import InvalidPhoneNumber, normalise_phone

Telephony = Literal["fake", "twilio"]
LogFormat = Literal["console", "json"]
LogLevel = Literal["debug", "info", "warning", "error"]
SmtpTls = Literal["starttls", "ssl", "none"]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/oncall.db"
DEFAULT_TWILIO_API_BASE = "https://api.twilio.com"
DEFAULT_CASE_REFERENCE_PATTERN = r"^[A-Z]{2,4}-?[0-9]{3,10}$"
CASE_REFERENCE_MAX = 40  # the column's length: no pattern may match anything longer
# In demo mode the built-in fake Twilio signs webhooks with this; it opens nothing real.
FAKE_ACCOUNT_SID = "AC" + "0" * 32
FAKE_AUTH_TOKEN = "fake-twilio-auth-token"  # noqa: S105  (same as the fake's default)


class SettingsError(Exception):
    """One or more settings are invalid; `problems` has one message per bad value."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service reads from its environment. Secrets are kept out of repr."""

    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)  # may hold a password
    timezone: str = "Europe/Jersey"
    telephony: Telephony = "fake"
    public_url: str = "http://127.0.0.1:8080"
    host: str = "127.0.0.1"
    port: int = 8080
    log_format: LogFormat = "console"
    log_level: LogLevel = "info"
    twilio_account_sid: str = field(default="", repr=False)
    twilio_auth_token: str = field(default="", repr=False)
    twilio_auth_token_secondary: str = field(default="", repr=False)
    twilio_api_base: str = DEFAULT_TWILIO_API_BASE
    secret_key: str = field(default="", repr=False)
    metrics_token: str = field(default="", repr=False)  # bearer token for GET /metrics
    trusted_proxies: str = "127.0.0.1/32, ::1/128"  # peers whose X-Forwarded-For is believed
    fallback_number: str = ""
    escalation_workers: bool = True
    escalation_poll_seconds: float = 1.0
    shift_confirm_lead_minutes: int = 120
    shift_confirm_timeout_minutes: int = 60
    sms_per_minute_per_number: int = 6
    sms_junk_per_hour: int = 5
    outbox_max_attempts: int = 6
    sms_status_check_seconds: int = 120  # 0: never ask Twilio about a text whose status stalled
    call_check_seconds: int = 300  # 0: never ask Twilio about a call whose record was left open
    # Every Twilio webhook answers within this, whatever the database does (fail-safe past it).
    webhook_budget_seconds: float = 5.0
    # Where to keep the fail-safe TwiML nginx answers with when the app cannot ("": nowhere).
    failsafe_twiml_file: str = ""
    # This replica's own file of fail-safe answers not yet recorded ("": memory only, lost on a
    # restart before the database answers again; the provider recovery still finds the calls).
    failsafe_journal: str = ""

    retention_days: int = 0  # 0: keep event details for ever
    handover_time: str = "09:00"
    handover_to: str = ""  # comma-separated e-mail addresses
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = ""
    smtp_tls: SmtpTls = "starttls"
    outcome_link_hours: int = 12  # how long a texted outcome link works
    chain_verify_minutes: int = 60  # re-verify the chain in the background after this (0: never)
    # Missing-from-home-or-care episodes are keyed by a case reference only (docs/missing.md).
    case_reference_pattern: str = DEFAULT_CASE_REFERENCE_PATTERN
    return_interview_hours: int = 72  # a return home interview is due this long after the return
    # Sign-in's argon2 checks run off the event loop: this many at once, this many more under way;
    # past that, POST /login answers 503 with Retry-After (docs/routing.md, "Isolation").
    password_check_threads: int = 1
    password_check_queue: int = 30

    @property
    def zone(self) -> ZoneInfo:
        """The service's local time zone (validated at start-up, so this never fails)."""
        return ZoneInfo(self.timezone)

    @property
    def handover_at(self) -> time:
        """The local time of the morning handover (validated at start-up)."""
        return time.fromisoformat(self.handover_time)

    @property
    def handover_recipients(self) -> tuple[str, ...]:
        return tuple(a.strip() for a in self.handover_to.split(",") if a.strip())

    @property
    def auth_tokens(self) -> tuple[str, ...]:
        """Twilio auth tokens accepted on webhooks: the current one and, while rotating, the old."""
        tokens = tuple(t for t in (self.twilio_auth_token, self.twilio_auth_token_secondary) if t)
        if not tokens and self.telephony == "fake":
            return (FAKE_AUTH_TOKEN,)
        return tokens

    @property
    def account_sid(self) -> str:
        if not self.twilio_account_sid and self.telephony == "fake":
            return FAKE_ACCOUNT_SID
        return self.twilio_account_sid

    @property
    def rest_api_base(self) -> str:
        """Where the REST client sends requests: the fake inside this server in demo mode."""
        if self.telephony == "fake" and self.twilio_api_base == DEFAULT_TWILIO_API_BASE:
            return f"{self.public_url}/fake"
        return self.twilio_api_base

    def describe(self) -> dict[str, str]:
        """The settings as text for display, with every secret replaced by whether it is set."""
        shown: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "database_url":
                shown[f.name] = redact_url(str(value))
            elif not f.repr:
                shown[f.name] = "(set)" if value else "(not set)"
            else:
                shown[f.name] = str(value)
        return shown


def redact_url(url: str) -> str:
    """A database URL with any password replaced, fit for logs and error messages."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}, got {raw!r}")
        return value

    return parse


def _port(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"must be a whole number from 1 to 65535, got {raw!r}") from None
    if not 1 <= value <= 65535:
        raise ValueError(f"must be a whole number from 1 to 65535, got {raw!r}")
    return value


def _http_url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an http:// or https:// URL, got {raw!r}")
    if parts.query or parts.fragment:
        raise ValueError("must not carry a query string or fragment")
    return value


def _database_url(raw: str) -> str:
    value = raw.strip()
    if value.startswith(("postgres://", "postgresql://")):
        # Operators paste libpq URLs; the service needs the asyncpg driver.
        value = "postgresql+asyncpg://" + value.split("://", 1)[1]
    if value.startswith("sqlite://") and not value.startswith("sqlite+aiosqlite://"):
        value = "sqlite+aiosqlite://" + value.split("://", 1)[1]
    if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ValueError(f"must be a sqlite:/// or postgresql:// URL, got {redact_url(raw)!r}")
    return value


def database_url(raw: str) -> str:
    """A database URL as ONCALL_DATABASE_URL reads it (a libpq `postgresql://` URL gets the
    asyncpg driver); ValueError saying why one is refused."""
    return _database_url(raw)


def _timezone(raw: str) -> str:
    try:
        ZoneInfo(raw.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {raw!r} (use an IANA name like Europe/Jersey)"
        ) from None
    return raw.strip()


def _phone(raw: str) -> str:
    if not raw.strip():
        return ""
    try:
        return normalise_phone(raw)
    except InvalidPhoneNumber as exc:
        raise ValueError(str(exc)) from None


def _text(raw: str) -> str:
    return raw.strip()


def _switch(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("on", "true", "1", "yes"):
        return True
    if value in ("off", "false", "0", "no"):
        return False
    raise ValueError(f"must be on or off, got {raw!r}")


def _whole(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise ValueError(f"must be a whole number from {low} to {high}, got {raw!r}")
        return value

    return parse


def _seconds(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        value = -1.0
    if not 0.05 <= value <= 60:
        raise ValueError(f"must be a number of seconds from 0.05 to 60, got {raw!r}")
    return value


def _budget(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        value = -1.0
    # Twilio gives up on a webhook after 15 s: past that the caller gets the number's Fallback URL.
    if not 0.2 <= value <= 12:
        raise ValueError(f"must be a number of seconds from 0.2 to 12, got {raw!r}")
    return value


def _twiml_file(raw: str) -> str:
    value = raw.strip()
    if value and (not value.startswith("/") or not value.endswith(".xml") or ".." in value):
        raise ValueError(f"must be an absolute path to a .xml file, got {raw!r}")
    return value


def _journal_file(raw: str) -> str:
    value = raw.strip()
    if value and (not value.startswith("/") or value.endswith("/") or ".." in value):
        raise ValueError(f"must be an absolute path to a file, got {raw!r}")
    return value


def _retention_days(raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        value = -1
    if not 0 <= value <= 36500:
        raise ValueError(f"must be a whole number of days from 0 (keep for ever), got {raw!r}")
    return value


def _clock_time(raw: str) -> str:
    try:
        hours, minutes = raw.strip().split(":")
        return time(int(hours), int(minutes)).strftime("%H:%M")
    except ValueError:
        raise ValueError(f"must be a local time of day like 09:00, got {raw!r}") from None


def _networks(raw: str) -> str:
    networks = [n.strip() for n in raw.split(",") if n.strip()]
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ValueError(f"not an address or network like 10.0.0.0/8: {network!r}") from None
    return ", ".join(networks)


def _addresses(raw: str) -> str:
    addresses = [a.strip() for a in raw.split(",") if a.strip()]
    for address in addresses:
        if "@" not in address or " " in address:
            raise ValueError(f"not an e-mail address: {address!r}")
    return ", ".join(addresses)


def pattern_shape(pattern: str) -> tuple[bool, int, int]:
    """Whether a regular expression is anchored at both ends (^ or \\A first, $ or \\Z last, not
    inside an alternative), and the shortest and longest text it matches (the longest is huge
    when it has no bound). Python's own regex parser knows; `re` has no public way to ask."""
    tree = importlib.import_module("re._parser").parse(pattern)
    items = list(tree)
    begins = bool(items) and str(items[0][1]) in ("AT_BEGINNING", "AT_BEGINNING_STRING")
    ends = bool(items) and str(items[-1][1]) in ("AT_END", "AT_END_STRING")
    low, high = tree.getwidth()
    return begins and ends, int(low), int(high)


def _case_reference_pattern(raw: str) -> str:
    value = raw.strip()
    if len(value) > 200:
        raise ValueError("must be at most 200 characters long")
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"is not a regular expression: {exc}") from None
    anchored, low, high = pattern_shape(value)
    if not anchored:
        raise ValueError(f"must be anchored: start with ^ and end with $, got {raw!r}")
    if low < 1 or high > CASE_REFERENCE_MAX:
        raise ValueError(
            f"must match references of 1 to {CASE_REFERENCE_MAX} characters (a * or + needs a "
            f"bound instead, like {{2,10}}), got {raw!r}"
        )
    return value


_SOURCES: dict[str, tuple[str, Callable[[str], object]]] = {
    "database_url": ("ONCALL_DATABASE_URL", _database_url),
    "timezone": ("ONCALL_TIMEZONE", _timezone),
    "telephony": ("ONCALL_TELEPHONY", _choice(("fake", "twilio"))),
    "public_url": ("ONCALL_PUBLIC_URL", _http_url),
    "host": ("ONCALL_HOST", _text),
    "port": ("ONCALL_PORT", _port),
    "log_format": ("ONCALL_LOG_FORMAT", _choice(("console", "json"))),
    "log_level": ("ONCALL_LOG_LEVEL", _choice(("debug", "info", "warning", "error"))),
    "twilio_account_sid": ("TWILIO_ACCOUNT_SID", _text),
    "twilio_auth_token": ("TWILIO_AUTH_TOKEN", _text),
    "twilio_auth_token_secondary": ("TWILIO_AUTH_TOKEN_SECONDARY", _text),
    "twilio_api_base": ("ONCALL_TWILIO_API_BASE", _http_url),
    "secret_key": ("ONCALL_SECRET_KEY", _text),
    "metrics_token": ("ONCALL_METRICS_TOKEN", _text),
    "trusted_proxies": ("ONCALL_TRUSTED_PROXIES", _networks),
    "fallback_number": ("ONCALL_FALLBACK_NUMBER", _phone),
    "escalation_workers": ("ONCALL_ESCALATION_WORKERS", _switch),
    "escalation_poll_seconds": ("ONCALL_ESCALATION_POLL_SECONDS", _seconds),
    "shift_confirm_lead_minutes": ("ONCALL_SHIFT_CONFIRM_LEAD_MINUTES", _whole(0, 24 * 60)),
    "shift_confirm_timeout_minutes": ("ONCALL_SHIFT_CONFIRM_TIMEOUT_MINUTES", _whole(1, 12 * 60)),
    "sms_per_minute_per_number": ("ONCALL_SMS_PER_MINUTE_PER_NUMBER", _whole(1, 60)),
    "sms_junk_per_hour": ("ONCALL_SMS_JUNK_PER_HOUR", _whole(0, 1000)),
    "outbox_max_attempts": ("ONCALL_OUTBOX_MAX_ATTEMPTS", _whole(1, 20)),
    "sms_status_check_seconds": ("ONCALL_SMS_STATUS_CHECK_SECONDS", _whole(0, 24 * 3600)),
    "call_check_seconds": ("ONCALL_CALL_CHECK_SECONDS", _whole(0, 24 * 3600)),
    "webhook_budget_seconds": ("ONCALL_WEBHOOK_BUDGET_SECONDS", _budget),
    "failsafe_twiml_file": ("ONCALL_FAILSAFE_TWIML_FILE", _twiml_file),
    "failsafe_journal": ("ONCALL_FAILSAFE_JOURNAL", _journal_file),
    "retention_days": ("ONCALL_RETENTION_DAYS", _retention_days),
    "handover_time": ("ONCALL_HANDOVER_TIME", _clock_time),
    "handover_to": ("ONCALL_HANDOVER_TO", _addresses),
    "smtp_host": ("ONCALL_SMTP_HOST", _text),
    "smtp_port": ("ONCALL_SMTP_PORT", _port),
    "smtp_user": ("ONCALL_SMTP_USER", _text),
    "smtp_password": ("ONCALL_SMTP_PASSWORD", _text),
    "smtp_from": ("ONCALL_SMTP_FROM", _addresses),
    "smtp_tls": ("ONCALL_SMTP_TLS", _choice(("starttls", "ssl", "none"))),
    "outcome_link_hours": ("ONCALL_OUTCOME_LINK_HOURS", _whole(1, 7 * 24)),
    "chain_verify_minutes": ("ONCALL_CHAIN_VERIFY_MINUTES", _whole(0, 7 * 24 * 60)),
    "case_reference_pattern": ("ONCALL_CASE_REFERENCE_PATTERN", _case_reference_pattern),
    "return_interview_hours": ("ONCALL_RETURN_INTERVIEW_HOURS", _whole(1, 30 * 24)),
    "password_check_threads": ("ONCALL_PASSWORD_CHECK_THREADS", _whole(1, 16)),
    "password_check_queue": ("ONCALL_PASSWORD_CHECK_QUEUE", _whole(0, 1000)),
}

ENVIRONMENT_NAMES = tuple(name for name, _ in _SOURCES.values())


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every setting; raise SettingsError listing each bad value."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    problems: list[str] = []
    for attr, (name, parse) in _SOURCES.items():
        raw = env.get(name)
        if raw is None or raw == "":
            continue
        try:
            values[attr] = parse(raw)
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
    settings = Settings(**values)  # type: ignore[arg-type]  # each parser returns its field's type
    problems.extend(_cross_checks(settings))
    if problems:
        raise SettingsError(problems)
    return settings


def _cross_checks(settings: Settings) -> list[str]:
    problems: list[str] = []
    if settings.telephony == "twilio":
        if not settings.twilio_account_sid.startswith("AC"):
            problems.append("TWILIO_ACCOUNT_SID: required with ONCALL_TELEPHONY=twilio (starts AC)")
        if not settings.twilio_auth_token:
            problems.append("TWILIO_AUTH_TOKEN: required with ONCALL_TELEPHONY=twilio")
        if not settings.secret_key:
            problems.append("ONCALL_SECRET_KEY: required with ONCALL_TELEPHONY=twilio")
        if not settings.fallback_number:
            problems.append("ONCALL_FALLBACK_NUMBER: required with ONCALL_TELEPHONY=twilio")
    if settings.secret_key and len(settings.secret_key) < 32:
        problems.append("ONCALL_SECRET_KEY: must be at least 32 characters")
    if settings.metrics_token and (
        len(settings.metrics_token) < 16 or " " in settings.metrics_token
    ):
        problems.append("ONCALL_METRICS_TOKEN: must be at least 16 characters, without spaces")
    return problems
