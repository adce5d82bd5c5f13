"""A seeded night for fault tests, and what the checks need to read it back."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from oncall.db.engine import Database
from oncall.db.models import AlertKind, CallerType, Channel, Line, Tier
from oncall.domain.contacts import CallerIdentity, open_contact
from oncall.domain.escalation import raise_alert, update_policy
from tests.e2e.conftest import SHIFT_START
from tests.support import ShiftSpec, load_demo_data, publish_rota


def outbox_id(status_callback: str | None) -> int | None:
    """The outbox row a provider message belongs to, from its status callback URL."""
    query = parse_qs(urlsplit(status_callback or "").query)
    return int(query["outbox"][0]) if "outbox" in query else None


POLICE = CallerIdentity(CallerType.POLICE, "Police HQ control room", "police")
SMS_ONLY = [
    {"targets": ["duty_worker"], "channels": ["sms"], "wait_minutes": 5},
    {"targets": ["senior_manager"], "channels": ["sms"], "wait_minutes": 10},
]


async def seed_night(database: Database, *, alerts: int, at: datetime) -> list[int]:
    """Demo data, Friday night's rota (sw002, sw004; sm002), an SMS-only policy run twice then
    every manager, and `alerts` missed police calls raised at `at` (as routing raises them)."""
    await load_demo_data(database)
    ids = []
    async with database.sessions() as session:
        end = SHIFT_START + timedelta(hours=16)
        await publish_rota(
            session, "2027-01",
            [ShiftSpec(SHIFT_START, end, Tier.WORKER, ["sw002", "sw004"]),
             ShiftSpec(SHIFT_START, end, Tier.MANAGER, ["sm002"])],
        )  # fmt: skip
        await update_policy(
            session,
            line_id=None,
            kind=AlertKind.MISSED_CALL,
            repeat=2,
            now=at,
            by="test",
            steps=SMS_ONLY,
        )
        line = await session.scalar(select(Line).where(Line.kind == "police"))
        for i in range(alerts):
            contact = await open_contact(
                session, channel=Channel.VOICE, line=line, caller_number="+441534700201",
                caller=POLICE, provider_sid=f"CAfault{i:06d}", at=at, zone_year=at.year,
            )  # fmt: skip
            ids.append((await raise_alert(session, contact, kind=AlertKind.MISSED_CALL, at=at)).id)
        await session.commit()
    return ids
