"""Escalation policies: the order of steps, defaults on demand, editing with validation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from oncall.db.engine import Database
from oncall.db.models import Event, Line
from oncall.domain.escalation import (
    FINAL_STEP,
    PolicyInvalid,
    list_policies,
    parse_steps,
    policy_for,
    update_policy,
)
from tests.support import load_demo_data

NOW = datetime(2027, 1, 8, 23, 0, tzinfo=UTC)


async def test_defaults_walk_two_rounds_then_all_managers(database: Database) -> None:
    async with database.sessions() as session:
        policy = await policy_for(session, line_id=None, kind="missed_call", now=NOW)
    positions = [(0, 0)]
    while True:
        nxt = policy.after(*positions[-1])
        if policy.step_at(*nxt) is None:
            break
        positions.append(nxt)
    steps = [policy.step_at(*p) for p in positions]
    workers = ("duty_worker", "second_worker")
    assert [s.targets if s else None for s in steps] == [
        workers, ("senior_manager",), workers, ("senior_manager",), ("all_managers",),
    ]  # fmt: skip
    assert steps[-1] == FINAL_STEP
    # Both workers at once, the senior manager a minute later; round two at +15, all at +30.
    assert [s.wait_minutes for s in steps[:-1] if s] == [1, 14, 1, 14]
    assert steps[0] is not None and steps[0].channels == ("sms", "voice")
    assert policy.before(1, 0) == (0, 1) and policy.before(0, 0) is None


@pytest.mark.parametrize("kind", ["missed_call", "voicemail", "inbound_sms"])
async def test_the_default_for_a_contact_pages_both_workers_and_the_manager_a_minute_on(
    database: Database, kind: str
) -> None:
    """The shipped default for a contact nobody took (docs/escalation.md, "Why this default"):
    both workers on duty at once, the senior manager at +1 min if neither owned it, both
    workers again at +15, the manager at +16, every manager at +30, by text and call."""
    async with database.sessions() as session:
        policy = await policy_for(session, line_id=None, kind=kind, now=NOW)
    timeline, at, position = [], 0, (0, 0)
    while (step := policy.step_at(*position)) is not None:
        timeline.append((at, step.targets, step.channels))
        at += step.wait_minutes
        position = policy.after(*position)
    both, call = ("duty_worker", "second_worker"), ("sms", "voice")
    assert timeline == [
        (0, both, call), (1, ("senior_manager",), call), (15, both, call),
        (16, ("senior_manager",), call), (30, ("all_managers",), ("sms",)),
    ]  # fmt: skip


async def test_a_line_policy_wins_and_edits_are_logged(database: Database) -> None:
    await load_demo_data(database)  # the demo seeds the service-wide defaults
    async with database.sessions() as session:
        # one per alert kind: six, and missing children at high and medium risk
        assert len(await list_policies(session)) == 8
        hospital = await session.scalar(select(Line).where(Line.kind == "hospital"))
        assert hospital is not None
        steps = [{"targets": ["duty_worker", "second_worker"], "channels": ["sms"],
                  "wait_minutes": 3}]  # fmt: skip
        await update_policy(
            session, line_id=hospital.id, kind="missed_call", steps=steps, repeat=3, now=NOW,
            by="coordinator",
        )  # fmt: skip
        mine = await policy_for(session, line_id=hospital.id, kind="missed_call", now=NOW)
        other = await policy_for(session, line_id=None, kind="missed_call", now=NOW)
        await session.commit()  # events are chained into the log as their transaction commits
        event = await session.scalar(select(Event).where(Event.kind == "policy.updated"))
    assert mine.repeat == 3 and mine.steps[0].targets == ("duty_worker", "second_worker")
    assert other.repeat == 2
    assert event is not None and event.actor == "coordinator"
    async with database.sessions() as session:
        with pytest.raises(PolicyInvalid, match="repeat"):
            await update_policy(
                session, line_id=None, kind="missed_call", steps=steps, repeat=0, now=NOW, by="x"
            )


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([], "at least one step"),
        ([{"targets": ["the pope"], "channels": ["sms"], "wait_minutes": 5}], "targets"),
        ([{"targets": ["duty_worker"], "channels": ["fax"], "wait_minutes": 5}], "channels"),
        ([{"targets": ["duty_worker"], "channels": ["sms"], "wait_minutes": 0}], "wait"),
        ([{"targets": ["duty_worker"], "channels": ["sms"], "wait_minutes": True}], "wait"),
        (["duty_worker"], "expected an object"),
    ],
)
def test_bad_steps_are_refused(steps: list[object], message: str) -> None:
    with pytest.raises(PolicyInvalid, match=message):
        parse_steps(steps)
