"""End-of-shift reminders: a `no_outcome` alert, and a text to the worker, for each contact of the
shift still without an outcome."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import Alert, AlertKind, AlertStatus, Contact
from oncall.domain.escalation.alerts import raise_alert
from oncall.domain.outcomes import OutcomeLinks, text_outcome_link, worker_of


async def remind_missing_outcomes(
    session: AsyncSession,
    *,
    received_from: datetime,
    received_to: datetime,
    at: datetime,
    zone: ZoneInfo | None = None,
    links: OutcomeLinks | None = None,
) -> list[str]:
    """Raise a `no_outcome` alert for each contact of the shift still without an outcome, and
    (given `zone`) text its worker a reminder with the outcome link (`links`) or DONE by text.

    A contact already chased by an open or acknowledged alert is left to that alert, and a
    contact is reminded at most once. Returns the references reminded.
    """
    contacts = list(
        await session.scalars(
            select(Contact)
            .where(
                Contact.received_at >= received_from,
                Contact.received_at < received_to,
                Contact.outcome.is_(None),
                ~select(Alert.id)
                .where(
                    Alert.contact_id == Contact.id,
                    (Alert.kind == AlertKind.NO_OUTCOME)
                    | Alert.status.in_([AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]),
                )
                .exists(),
            )
            .order_by(Contact.received_at)
        )
    )
    for contact in contacts:
        await raise_alert(session, contact, kind=AlertKind.NO_OUTCOME, at=at)
        worker = await worker_of(session, contact) if zone is not None else None
        if worker is not None and zone is not None:
            await text_outcome_link(
                session, contact, worker, purpose="reminder", links=links, at=at, zone=zone
            )
    return [c.reference for c in contacts]
