"""Settings turned into the domain's configuration objects, for the server and the command line
alike (neither builds them by hand, so both always run with the same configuration)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from integrations.twilio import WebhookUrls
from oncall.domain.audit import MorningConfig, SmtpConfig
from oncall.domain.escalation import WorkerConfig
from oncall.domain.missing import MissingCommands, MissingConfig, PackConfig, missing_config
from oncall.domain.outbox import SenderConfig
from oncall.domain.outcomes import OutcomeLinks
from oncall.log import get_logger
from oncall.settings import Settings

log = get_logger(__name__)


def signing_key(settings: Settings) -> bytes:
    """The key that signs sessions and outcome links: ONCALL_SECRET_KEY's, or a random one for
    this process only (sessions and links then die with it)."""
    if settings.secret_key:
        return hashlib.sha256(settings.secret_key.encode()).digest()
    log.warning("ONCALL_SECRET_KEY is not set: sessions end when the server restarts")
    return secrets.token_bytes(32)


def outcome_links(key: bytes, settings: Settings) -> OutcomeLinks:
    """Outcome links signed with `key`, at the public URL, valid ONCALL_OUTCOME_LINK_HOURS."""
    return OutcomeLinks(key, settings.public_url, timedelta(hours=settings.outcome_link_hours))


def offline_outcome_links(settings: Settings) -> OutcomeLinks | None:
    """Outcome links outside the server (the command line): only with ONCALL_SECRET_KEY, which
    the server signs with too; without it the server's key is random and a link would not work."""
    if not settings.secret_key:
        return None
    return outcome_links(signing_key(settings), settings)


def webhook_urls(settings: Settings) -> WebhookUrls:
    """The URLs Twilio is given, at ONCALL_PUBLIC_URL (the console's, and every callback's)."""
    return WebhookUrls(settings.public_url)


def worker_config(settings: Settings) -> WorkerConfig:
    return WorkerConfig(
        zone=settings.zone,
        poll_seconds=settings.escalation_poll_seconds,
        shift_lead=timedelta(minutes=settings.shift_confirm_lead_minutes),
        shift_timeout=timedelta(minutes=settings.shift_confirm_timeout_minutes),
    )


def sender_config(settings: Settings) -> SenderConfig:
    return SenderConfig(
        urls=webhook_urls(settings),
        max_attempts=settings.outbox_max_attempts,
        per_minute=settings.sms_per_minute_per_number,
        status_check_after=(
            timedelta(seconds=settings.sms_status_check_seconds)
            if settings.sms_status_check_seconds
            else None
        ),
    )


def smtp_config(settings: Settings) -> SmtpConfig | None:
    if not settings.smtp_host or not settings.handover_recipients:
        return None
    return SmtpConfig(
        host=settings.smtp_host, port=settings.smtp_port, user=settings.smtp_user,
        password=settings.smtp_password, sender=settings.smtp_from or "oncall@localhost",
        tls=settings.smtp_tls,
    )  # fmt: skip


def morning_config(settings: Settings, links: OutcomeLinks | None) -> MorningConfig:
    return MorningConfig(
        zone=settings.zone,
        boundary=settings.handover_at,
        links=links,
        smtp=smtp_config(settings),
        recipients=tuple(settings.handover_recipients),
        retention_days=settings.retention_days,
    )


def missing_rules(settings: Settings) -> MissingConfig:
    """ONCALL_CASE_REFERENCE_PATTERN and ONCALL_RETURN_INTERVIEW_HOURS, for missing episodes."""
    return missing_config(settings.case_reference_pattern, settings.return_interview_hours)


def missing_commands(settings: Settings) -> MissingCommands:
    """MISSING and FOUND by text, handed to the inbound SMS handler beside ACK and DONE."""
    return MissingCommands(missing_rules(settings))


def pack_config(settings: Settings) -> PackConfig:
    """The missing meeting pack: made at the handover time, e-mailed to the handover's list."""
    return PackConfig(
        zone=settings.zone,
        boundary=settings.handover_at,
        smtp=smtp_config(settings),
        recipients=tuple(settings.handover_recipients),
    )
