"""Who may act on an alert by text (ACK, DONE, MGR): someone it paged, or on duty for its line.

References are short and sequential, so any staff phone could otherwise guess one and
acknowledge, close or escalate an alert that was never theirs (and be texted its details).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from oncall.db.models import Alert, Contact, Line, OutboundMessage, Person
from oncall.domain.duty import on_duty_at, ringing_order


async def may_act_on(
    session: AsyncSession,
    person: Person,
    alerts: Sequence[Alert],
    contact: Contact | None,
    *,
    now: datetime,
) -> bool:
    """True when `person` was texted or called about these alerts or their contact (any alert
    of it, or the outcome link after a call they took), raised or acknowledged one of them, or
    is in the ringing order of the contact's line at `now`."""
    if any(person.id in (a.person_id, a.acknowledged_by_id) for a in alerts):
        return True
    alert_ids = {a.id for a in alerts}
    about: list[ColumnElement[bool]] = (
        [OutboundMessage.alert_id.in_(alert_ids)] if alert_ids else []
    )
    if contact is not None:
        about.append(OutboundMessage.contact_id == contact.id)
        about.append(
            OutboundMessage.alert_id.in_(select(Alert.id).where(Alert.contact_id == contact.id))
        )
    if about:
        paged = await session.scalar(
            select(OutboundMessage.id)
            .where(OutboundMessage.person_id == person.id, or_(*about))
            .limit(1)
        )
        if paged is not None:
            return True
    if contact is None or contact.line_id is None:
        return False
    line = await session.get(Line, contact.line_id)
    duty = await on_duty_at(session, now)
    order = ringing_order(line.routing_policy if line else "default", duty)
    return any(target.person_id == person.id for target in order)
