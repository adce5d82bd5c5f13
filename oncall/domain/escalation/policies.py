"""Escalation policies: ordered steps per line and alert kind, defaults, reading and editing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import ActorType, AlertKind, Channel, EscalationPolicy
from oncall.domain.chain import EventKind, append_event
from oncall.domain.errors import Invalid

TARGETS = ("duty_worker", "second_worker", "senior_manager", "coordinator", "all_managers")
CHANNELS = (Channel.SMS, Channel.VOICE)
MAX_STEPS = 10
MAX_REPEAT = 5
MAX_WAIT_MINUTES = 24 * 60


class PolicyInvalid(Invalid):
    """A policy that cannot run; the message names the step and field."""


@dataclass(frozen=True, slots=True)
class Step:
    """Notify `targets` on `channels`, then wait `wait_minutes` before the next step."""

    targets: tuple[str, ...]
    channels: tuple[str, ...]
    wait_minutes: int

    def as_json(self) -> dict[str, Any]:
        return {
            "targets": list(self.targets),
            "channels": list(self.channels),
            "wait_minutes": self.wait_minutes,
        }


# After the last round every active manager is told (SMS): someone must own it.
FINAL_STEP = Step(("all_managers",), (Channel.SMS,), 0)


@dataclass(frozen=True, slots=True)
class Policy:
    id: int | None
    line_id: int | None
    alert_kind: str
    steps: tuple[Step, ...]
    repeat: int

    def step_at(self, round_: int, index: int) -> Step | None:
        """The step to run at (round, index); the final step after the last round; else None."""
        if round_ < self.repeat and index < len(self.steps):
            return self.steps[index]
        if round_ == self.repeat and index == 0:
            return FINAL_STEP
        return None

    def after(self, round_: int, index: int) -> tuple[int, int]:
        """The position following (round, index)."""
        if round_ < self.repeat and index + 1 < len(self.steps):
            return round_, index + 1
        if round_ < self.repeat:
            return round_ + 1, 0
        return round_, index + 1

    def before(self, round_: int, index: int) -> tuple[int, int] | None:
        """The position run just before (round, index), if any."""
        if index > 0:
            return round_, index - 1
        if round_ > 0:
            return round_ - 1, len(self.steps) - 1
        return None


def _step(*targets: str, channels: tuple[str, ...] = ("sms", "voice"), wait: int) -> Step:
    return Step(tuple(targets), channels, wait)


# A missed call, a voicemail or a carer's text (docs/escalation.md, "Why this default"): both
# workers on duty at once, the senior manager a minute later if neither has owned it, both
# workers again at +15 min and the manager at +16, every manager at +30.
_CALL_STEPS = (
    _step("duty_worker", "second_worker", wait=1),
    _step("senior_manager", wait=14),
)
DEFAULTS: dict[str, tuple[tuple[Step, ...], int]] = {
    AlertKind.MISSED_CALL: (_CALL_STEPS, 2),
    AlertKind.VOICEMAIL: (_CALL_STEPS, 2),
    AlertKind.INBOUND_SMS: (_CALL_STEPS, 2),
    AlertKind.ADVICE_REQUEST: ((_step("senior_manager", wait=10),), 2),
    AlertKind.SHIFT_UNCONFIRMED: (
        (_step("senior_manager", "coordinator", channels=("sms",), wait=30),),
        1,
    ),
    AlertKind.NO_OUTCOME: ((_step("duty_worker", channels=("sms",), wait=60),), 1),
    # A child reported missing: the senior manager on call is texted at once (docs/missing.md).
    AlertKind.MISSING_HIGH: ((_step("senior_manager", channels=("sms",), wait=10),), 2),
    AlertKind.MISSING_MEDIUM: ((_step("senior_manager", channels=("sms",), wait=30),), 1),
}


def parse_steps(raw: Any) -> tuple[Step, ...]:
    """Validate JSON steps ([{"targets": [...], "channels": [...], "wait_minutes": N}, …])."""
    if not isinstance(raw, list) or not raw:
        raise PolicyInvalid("steps: give at least one step")
    if len(raw) > MAX_STEPS:
        raise PolicyInvalid(f"steps: at most {MAX_STEPS}")
    steps = []
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise PolicyInvalid(f"step {i}: expected an object")
        targets, channels, wait = (
            item.get("targets"),
            item.get("channels"),
            item.get("wait_minutes"),
        )
        if not isinstance(targets, list) or not targets or any(t not in TARGETS for t in targets):
            raise PolicyInvalid(f"step {i}: targets must be some of {', '.join(TARGETS)}")
        if (
            not isinstance(channels, list)
            or not channels
            or any(c not in CHANNELS for c in channels)
        ):
            raise PolicyInvalid(f"step {i}: channels must be some of sms, voice")
        if not isinstance(wait, int) or isinstance(wait, bool) or not 1 <= wait <= MAX_WAIT_MINUTES:
            raise PolicyInvalid(f"step {i}: wait_minutes must be 1 to {MAX_WAIT_MINUTES}")
        steps.append(Step(tuple(dict.fromkeys(targets)), tuple(dict.fromkeys(channels)), wait))
    return tuple(steps)


def _policy(row: EscalationPolicy) -> Policy:
    try:
        steps = parse_steps(row.steps)
    except PolicyInvalid:  # edited by hand in the database: the defaults beat no escalation
        steps = DEFAULTS[row.alert_kind][0]
    return Policy(row.id, row.line_id, row.alert_kind, steps, max(1, min(row.repeat, MAX_REPEAT)))


async def _row(session: AsyncSession, line_id: int | None, kind: str) -> EscalationPolicy | None:
    line = EscalationPolicy.line_id.is_(None) if line_id is None else (
        EscalationPolicy.line_id == line_id
    )  # fmt: skip
    return await session.scalar(
        select(EscalationPolicy)
        .where(line, EscalationPolicy.alert_kind == kind)
        .order_by(EscalationPolicy.id)
        .limit(1)
    )


async def ensure_default_policies(session: AsyncSession, now: datetime) -> int:
    """Create the service-wide default policy of every alert kind that has none; return how many."""
    created = 0
    for kind, (steps, repeat) in DEFAULTS.items():
        if await _row(session, None, kind) is None:
            session.add(
                EscalationPolicy(
                    line_id=None, alert_kind=kind, steps=[s.as_json() for s in steps],
                    repeat=repeat, updated_at=now,
                )
            )  # fmt: skip
            created += 1
    await session.flush()
    return created


async def policy_for(
    session: AsyncSession, *, line_id: int | None, kind: str, now: datetime
) -> Policy:
    """The line's own policy for `kind`, else the service-wide one (created on demand)."""
    row = await _row(session, line_id, kind) if line_id is not None else None
    if row is None:
        row = await _row(session, None, kind)
    if row is None:
        await ensure_default_policies(session, now)
        row = await _row(session, None, kind)
    assert row is not None  # created just above
    return _policy(row)


async def policy_by_id(session: AsyncSession, policy_id: int) -> Policy | None:
    row = await session.get(EscalationPolicy, policy_id)
    return _policy(row) if row is not None else None


async def list_policies(session: AsyncSession) -> list[Policy]:
    rows = await session.scalars(
        select(EscalationPolicy).order_by(EscalationPolicy.alert_kind, EscalationPolicy.line_id)
    )
    return [_policy(r) for r in rows]


async def update_policy(
    session: AsyncSession,
    *,
    line_id: int | None,
    kind: str,
    steps: Any,
    repeat: int,
    now: datetime,
    by: str,
) -> Policy:
    """Set the policy of a line (or every line, with None) for `kind`; logged as an event."""
    if kind not in {k.value for k in AlertKind}:
        raise PolicyInvalid(
            "kind", f"{kind!r} is not one of {', '.join(k.value for k in AlertKind)}"
        )
    parsed = parse_steps(steps)
    if not 1 <= repeat <= MAX_REPEAT:
        raise PolicyInvalid("repeat", f"must be 1 to {MAX_REPEAT}")
    row = await _row(session, line_id, kind)
    if row is None:
        row = EscalationPolicy(line_id=line_id, alert_kind=kind, updated_at=now)
        session.add(row)
    row.steps, row.repeat, row.updated_at = [s.as_json() for s in parsed], repeat, now
    await session.flush()
    await append_event(
        session, kind=EventKind.POLICY_UPDATED, at=now, actor_type=ActorType.USER, actor=by[:80],
        details={"line": line_id, "alert_kind": kind, "steps": row.steps, "repeat": repeat},
    )  # fmt: skip
    return _policy(row)
