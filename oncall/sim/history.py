"""A demo with a past: weeks of nights laid down before today, so Now, Audit, the KPIs, the
monthly report and the morning handover show figures on the first `make run`.

The nights come from the simulator's traffic and phone model (`oncall.sim.model`), but the calls
are made through the call flow's own domain functions (`oncall.domain.calls.flow`), not over
HTTP: twelve weeks through the webhooks take minutes, and `demo load` must stay under a minute.
Each call opens its contact, rings the people on duty in order, and is accepted, declined or
missed as the phones are drawn; a missed call raises its alert, which the person on duty
acknowledges after a few minutes (now and then much later) and closes with a note. No message
is queued: nobody is texted today about last month's calls.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from integrations import voice
from integrations.telephony import CallProgress, DialOutcome
from oncall.db.engine import Database
from oncall.db.models import Contact, Person
from oncall.domain.calls import flow
from oncall.domain.duty import on_duty_at
from oncall.domain.escalation import acknowledge
from oncall.domain.escalation.alerts import live_alerts_of_contact, resolve
from oncall.domain.outcomes import record_outcome
from oncall.sim.model import SimConfig, draw, log_uniform, night_bounds, plan_arrivals
from oncall.sim.world import Directory, publish_nights, read_directory

HISTORY_SEED = 15
LATE_ACK = 0.08  # a few acknowledgements come a quarter of an hour or more after the alert
NO_OUTCOME = 0.06  # and a few answered calls never get their outcome recorded
CATEGORIES = [
    ("advice_given", 0.55),
    ("visit_made", 0.15),
    ("referred_to_day_team", 0.15),
    ("police_protection", 0.03),
    ("emergency_placement", 0.04),
    ("no_action", 0.08),
]
NOTES = {
    "advice_given": "Advice given by phone; carer content with the plan.",
    "visit_made": "Visited the address with police; child safe, plan agreed.",
    "referred_to_day_team": "Referred to the day team for follow-up in the morning.",
    "police_protection": "Police protection used; placement found for the night.",
    "emergency_placement": "Emergency placement arranged with a foster carer.",
    "no_action": "Information only; no further action.",
}


@dataclass(frozen=True, slots=True)
class HistorySummary:
    nights: int
    calls: int
    answered: int
    missed: int
    late_acks: int


def history_nights(now: datetime, zone: ZoneInfo, weeks: int) -> list[date]:
    """The nights of the `weeks` before `now`, ending with the last one that has finished."""
    local = now.astimezone(zone)
    last = local.date() - timedelta(days=1 if local.time() >= time(9, 0) else 2)
    return [last - timedelta(days=n) for n in range(weeks * 7 - 1, -1, -1)]


async def lay_down_history(
    database: Database, *, now: datetime, zone: ZoneInfo, weeks: int = 12
) -> HistorySummary:
    """Add `weeks` of past nights to a database holding the demo data (the caller's rota months
    keep their own rota; earlier months get a plain one, as the simulator publishes)."""
    rng = random.Random(HISTORY_SEED)
    config = SimConfig()
    days = history_nights(now, zone, weeks)
    bounds = [night_bounds(day, zone) for day in days]
    directory = await read_directory(database)
    await publish_nights(database, bounds, directory, zone=zone)
    async with database.sessions() as session:
        people = {p.id: p for p in await session.scalars(select(Person))}
    totals = {"calls": 0, "answered": 0, "missed": 0, "late": 0}
    for day in days:
        arrivals = [a for a in plan_arrivals(rng, day, zone, config) if a.channel == "voice"]
        async with database.sessions() as session:
            for arrival in arrivals:
                caller = rng.choice(
                    directory.callers.get(arrival.kind) or directory.callers["unverified"]
                )
                answered, late = await _one_call(
                    session, rng, config, directory, people,
                    at=arrival.at, caller=caller, line=directory.lines[arrival.line], zone=zone,
                )  # fmt: skip
                totals["calls"] += 1
                totals["answered" if answered else "missed"] += 1
                totals["late"] += late
            await session.commit()
    return HistorySummary(
        len(days), totals["calls"], totals["answered"], totals["missed"], totals["late"]
    )


async def _one_call(
    session: AsyncSession,
    rng: random.Random,
    config: SimConfig,
    directory: Directory,
    people: dict[int, Person],
    *,
    at: datetime,
    caller: str,
    line: str,
    zone: ZoneInfo,
) -> tuple[bool, bool]:
    """One past call, step by step as the webhooks would have made it; (answered, late ack)."""
    sid = f"CA{rng.getrandbits(128):032x}"
    t = at
    step = await flow.call_received(session, call_sid=sid, from_=caller, to=line, at=t, zone=zone)
    if isinstance(step, voice.Menu):
        t += timedelta(seconds=rng.randint(5, 15))
        step = await flow.menu_chosen(session, contact_id=step.contact_id, digits="1", at=t)
    odds = config.phones
    answered = False
    while isinstance(step, voice.Ring):
        ids = {"contact_id": step.contact_id, "attempt": step.attempt}
        behaviour = draw(rng, odds.table())
        if behaviour in ("accept", "decline", "voicemail"):
            t += timedelta(seconds=rng.randint(*odds.ring_s))
            await flow.callee_answered(session, **ids, at=t)
            digits = {"accept": "1", "decline": "2"}.get(behaviour, "")
            t += timedelta(seconds=6)
            await flow.callee_pressed(session, **ids, digits=digits, at=t)
            talk = rng.randint(120, 1500) if behaviour == "accept" else 3
            t += timedelta(seconds=talk)
            outcome = DialOutcome.COMPLETED
            answered = behaviour == "accept"
        else:
            talk = 0
            t += timedelta(seconds={"busy": 2, "failed": 1}.get(behaviour, 25))
            outcome = {"busy": DialOutcome.BUSY, "failed": DialOutcome.FAILED}.get(
                behaviour, DialOutcome.NO_ANSWER
            )
        step = await flow.dial_finished(
            session, contact_id=step.contact_id, attempt=step.attempt, outcome=outcome,
            duration=talk, caller=None, at=t,
        )  # fmt: skip
        if answered:
            break
    t += timedelta(seconds=20 if isinstance(step, voice.TakeMessage) else 1)
    await flow.record_call_end(
        session, call_sid=sid, progress=CallProgress.COMPLETED,
        duration=int((t - at).total_seconds()), at=t,
    )  # fmt: skip
    contact = await session.scalar(select(Contact).where(Contact.provider_sid == sid))
    assert contact is not None
    category = draw(rng, CATEGORIES)
    if answered:
        if rng.random() >= NO_OUTCOME:
            await record_outcome(
                session, contact.id, person_id=contact.handled_by_id, category=category,
                notes=NOTES[category], at=t + timedelta(minutes=rng.randint(5, 50)),
            )  # fmt: skip
        return True, False
    late = rng.random() < LATE_ACK
    delay = rng.randint(900, 2700) if late else log_uniform(rng, config.replies.ack_delay_s)
    acked = t + timedelta(seconds=delay)
    duty = await on_duty_at(session, acked)
    chosen = (duty.workers or duty.managers)[0]
    person = people[chosen.person_id]
    for alert in await live_alerts_of_contact(session, contact.id):
        await acknowledge(session, alert, person=person, at=acked, via="sms", zone=zone)
        done = acked + timedelta(minutes=rng.randint(10, 60))
        await resolve(session, alert, person=person, note=NOTES[category], at=done, via="sms")
    return False, late
