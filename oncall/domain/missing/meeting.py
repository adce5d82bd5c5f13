"""The morning's missing meeting pack, made at the handover time beside the handover: prepared
once across replicas, then e-mailed to the handover's recipients with the CSV attached."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from oncall.domain.audit import SmtpConfig, build_message, send_email
from oncall.domain.chain import EventKind, append_event
from oncall.domain.missing.pack import pack_csv, pack_text, prepare_pack
from oncall.log import get_logger

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PackConfig:
    zone: ZoneInfo
    boundary: time  # the handover time (ONCALL_HANDOVER_TIME)
    smtp: SmtpConfig | None = None  # None: no e-mail (the page, CSV and PDF still work)
    recipients: Sequence[str] = ()  # ONCALL_HANDOVER_TO


async def morning_pack(
    sessions: async_sessionmaker[AsyncSession], config: PackConfig, *, day: date, at: datetime
) -> bool:
    """Prepare `day`'s pack (once) and e-mail it; True when this call was the one to prepare it."""
    async with sessions() as session:
        pack, first = await prepare_pack(
            session, day=day, zone=config.zone, boundary=config.boundary, at=at
        )
        await session.commit()
    if not first:
        return False
    log.info(
        "missing pack prepared", day=str(day), still_missing=len(pack.still_missing),
        returned=len(pack.returned), overdue=len(pack.interviews_overdue),
    )  # fmt: skip
    smtp = config.smtp
    if smtp is None or not config.recipients:
        return True
    message = build_message(
        sender=smtp.sender, to=config.recipients, subject=pack.title,
        body=pack_text(pack, config.zone),
        attachments={f"missing-pack-{day}.csv": pack_csv(pack, config.zone)},
    )  # fmt: skip
    try:
        await send_email(smtp, message)
        outcome: dict[str, object] = {"day": str(day), "sent_to": len(config.recipients)}
    except (OSError, smtplib.SMTPException) as exc:
        log.error("missing pack e-mail failed", error=type(exc).__name__)
        outcome = {"day": str(day), "failed": type(exc).__name__}
    async with sessions() as session:
        await append_event(session, kind=EventKind.MISSING_PACK_EMAILED, at=at, details=outcome)
        await session.commit()
    return True
