"""The morning's work once the night is over: prepare the handover, e-mail it, apply retention."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from oncall.domain.audit.handover import handover_csv, handover_text, prepare_handover
from oncall.domain.audit.mail import SmtpConfig, build_message, send_email
from oncall.domain.audit.retention import redact_before
from oncall.domain.chain import EventKind, append_event
from oncall.domain.outcomes import OutcomeLinks
from oncall.log import get_logger

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class MorningConfig:
    zone: ZoneInfo
    boundary: time  # when the night ends and the handover is due (ONCALL_HANDOVER_AT)
    links: OutcomeLinks | None = None  # reminders carry an outcome link when given
    smtp: SmtpConfig | None = None  # None: the handover is not e-mailed
    recipients: Sequence[str] = ()
    retention_days: int = 0  # 0: keep event details for ever


async def morning_jobs(
    sessions: async_sessionmaker[AsyncSession], config: MorningConfig, *, day: date, at: datetime
) -> bool:
    """Prepare `day`'s handover (once), e-mail it, and apply retention. True if it was new.

    Idempotent across replicas and with `oncall audit handover --prepare`: the first to prepare
    the day does the rest; the others find it prepared and return False.
    """
    zone, boundary = config.zone, config.boundary
    async with sessions() as session:
        handover, first = await prepare_handover(
            session, day=day, zone=zone, boundary=boundary, at=at, links=config.links
        )
        await session.commit()
    if not first:
        return False
    log.info("handover prepared", day=str(day), follow_up=len(handover.items))
    smtp = config.smtp
    if smtp is not None and config.recipients:
        message = build_message(
            sender=smtp.sender, to=config.recipients, subject=handover.title,
            body=handover_text(handover, zone),
            attachments={f"handover-{day}.csv": handover_csv(handover, zone)},
        )  # fmt: skip
        try:
            await send_email(smtp, message)
            outcome: dict[str, object] = {"sent_to": len(config.recipients)}
        except (OSError, smtplib.SMTPException) as exc:
            log.error("handover e-mail failed", error=type(exc).__name__)
            outcome = {"failed": type(exc).__name__}
        async with sessions() as session:
            await append_event(session, kind=EventKind.HANDOVER_EMAILED, at=at, details=outcome)
            await session.commit()
    if config.retention_days > 0:
        async with sessions() as session:
            result = await redact_before(
                session, before=at - timedelta(days=config.retention_days), at=at
            )
            await session.commit()
        log.info("retention applied", events=result.events, contacts=result.contacts)
    return True
