"""Reading the log is logged: one event per page view or export; and the chain's recorded state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import ActorType, ChainHead, Event
from oncall.domain.chain import ChainReport, EventKind, append_event, verify_chain

READ = EventKind.AUDIT_READ
VERIFIED = EventKind.AUDIT_VERIFIED


async def log_read(
    session: AsyncSession,
    *,
    username: str,
    what: str,
    at: datetime,
    contact_id: int | None = None,
    query: Mapping[str, str] | None = None,
    rows: int | None = None,
) -> None:
    """Append one `audit.read` event: who (user name) looked at what, with which filter, when.

    One event per page view, API request or export, never one per row, so reading stays cheap.
    """
    details: dict[str, object] = {"what": what}
    if query:
        details["query"] = {k: str(v)[:100] for k, v in sorted(query.items())}
    if rows is not None:
        details["rows"] = rows
    await append_event(
        session, kind=READ, at=at, contact_id=contact_id,
        actor_type=ActorType.USER, actor=username[:80], details=details,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ChainStatus:
    """The last recorded verification of the whole chain, and how far the chain has grown since."""

    head_seq: int
    verified_at: datetime | None
    verified_by: str
    ok: bool | None  # None: never verified
    checked: int
    broken_seq: int | None
    problem: str

    @property
    def unverified_since(self) -> int:
        return max(0, self.head_seq - self.checked) if self.ok else 0


async def record_verification(
    session: AsyncSession, report: ChainReport, *, at: datetime, actor: str
) -> None:
    """Write the result of a whole-chain verification as an `audit.verified` event."""
    broken = report.broken
    await append_event(
        session, kind=VERIFIED, at=at,
        actor_type=ActorType.USER if actor else ActorType.SYSTEM, actor=actor[:80],
        details={
            "ok": broken is None, "checked": report.checked, "last_seq": report.last_seq,
            "broken_seq": broken.seq if broken else None,
            "problem": broken.problem if broken else "",
        },
    )  # fmt: skip


async def verify_and_record(session: AsyncSession, *, at: datetime, actor: str) -> ChainReport:
    """Verify the whole chain and record the result in it (the caller commits)."""
    report = await verify_chain(session)
    await record_verification(session, report, at=at, actor=actor)
    return report


async def chain_status(session: AsyncSession) -> ChainStatus:
    """The latest `audit.verified` result; quick (no walk of the chain)."""
    head = await session.get(ChainHead, 1)
    last = await session.scalar(
        select(Event).where(Event.kind == VERIFIED).order_by(Event.seq.desc()).limit(1)
    )
    head_seq = head.seq if head else 0
    if last is None or last.details.get("redacted"):
        return ChainStatus(head_seq, None, "", None, 0, None, "")
    d = last.details
    return ChainStatus(
        head_seq=head_seq,
        verified_at=last.occurred_at,
        verified_by=last.actor or "system",
        ok=bool(d.get("ok")),
        checked=int(d.get("checked", 0)),
        broken_seq=d.get("broken_seq"),
        problem=str(d.get("problem", "")),
    )
