"""The outbox sender: lease due rows, hand them to the provider, record what it said.

Claim-then-send: a row is marked `sending` with a lease in a committed transaction before the
provider is called, so a second sender never picks it up. A sender that dies mid-send leaves
the row `sending`; when the lease runs out it is marked failed, never sent again (at most once),
and its alert escalates at once — a person hears of the alert either way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from integrations.telephony import Telephony, TelephonyRejected, TelephonyUnavailable
from oncall.db.models import Channel, OutboxStatus
from oncall.domain.chain import EventKind
from oncall.domain.outbox import queue as outbox
from oncall.domain.outbox.events import OnFailure, message_event, message_failed
from oncall.domain.outbox.progress import status_on_acceptance
from oncall.domain.outbox.reconcile import reconcile_statuses
from oncall.log import get_logger

log = get_logger(__name__)

ALERT_CALL_TIMEOUT_S = 25


class OutboxUrls(Protocol):
    """Where the provider fetches an alert call's script and reports each message's progress
    (the provider's boundary knows them: integrations.twilio.WebhookUrls)."""

    def alert_call(self, message: int) -> str: ...

    def call_status(self, message: int) -> str: ...

    def message_status(self, message: int) -> str: ...


@dataclass(frozen=True, slots=True)
class SenderConfig:
    urls: OutboxUrls
    batch: int = 32  # rows per claim: at most 4 rounds of `concurrency`, well inside the lease
    concurrency: int = 8
    lease: timedelta = timedelta(seconds=120)  # 4 rounds of the REST client's 10 s timeout, x3
    max_attempts: int = 6
    per_minute: int = 6  # texts per number per minute before the rest wait
    first_backoff_s: float = 5.0
    max_backoff_s: float = 300.0
    # A text still queued or sent this long after its last status is looked up (a lost
    # callback); None: never.
    status_check_after: timedelta | None = timedelta(seconds=120)


# A row the provider accepted: its SID, and the status its answer gives the row.
Accepted = tuple[outbox.Claimed, str, OutboxStatus]


@dataclass(slots=True)
class SendReport:
    """What one pass did (tests and the bench read it)."""

    sent: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    logged: list[int] = field(default_factory=list)
    reconciled: list[int] = field(default_factory=list)  # statuses fetched: callbacks lost


class OutboxSender:
    """Sends what the outbox holds through `telephony`; one per replica, any number of replicas."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        telephony: Telephony,
        config: SenderConfig,
        *,
        on_failure: OnFailure,
        before_claim: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """`on_failure` is what a message that will not arrive sets off (escalation moves its
        alert on); `before_claim` is awaited before each claim (the replica's steps go first)."""
        self._on_failure = on_failure
        self._sessions = sessions
        self._telephony = telephony
        self._config = config
        self._before_claim = before_claim
        self._limit = asyncio.Semaphore(config.concurrency)

    def backoff(self, attempts: int, retry_after: float | None) -> float:
        delay = self._config.first_backoff_s * 2.0 ** max(0, attempts - 1)
        return float(max(min(self._config.max_backoff_s, delay), retry_after or 0.0))

    async def run_once(self, now: datetime) -> SendReport:
        """Look up stalled texts' statuses, log deliveries, expire dead leases, then claim and send
        every row due at `now`, a batch at a time."""
        report = SendReport()
        if self._config.status_check_after is not None:
            report.reconciled = await reconcile_statuses(
                self._sessions,
                self._telephony,
                now=now,
                after=self._config.status_check_after,
                on_failure=self._on_failure,
            )
        async with self._sessions() as session:
            # Deliveries the status callbacks recorded since the last pass, logged in one go.
            for row in await outbox.unlogged_outcomes(session, limit=1000):
                status = row.status if row.channel == Channel.SMS else "ended"
                await message_event(
                    session,
                    row,
                    EventKind(f"{row.channel}.{status}"),
                    row.updated_at,
                    status=row.status,
                )
                row.status_logged = row.status
                report.logged.append(row.id)
            await session.commit()
        # Its own transaction, locking as everyone does: row, contact, alert, chain head.
        async with self._sessions() as session:
            for row in await outbox.expire_leases(session, now=now):
                report.expired.append(row.id)
                log.warning("outbox lease expired; not re-sent", message=row.id)
                await message_failed(
                    session, row, at=now, reason="outcome unknown", on_failure=self._on_failure
                )
            await session.commit()
        while True:
            if self._before_claim is not None:
                await self._before_claim()
            async with self._sessions() as session:
                claimed = await outbox.claim_due(
                    session, now=now, limit=self._config.batch, lease=self._config.lease,
                    per_minute=self._config.per_minute,
                )  # fmt: skip
                await session.commit()
            if not claimed:
                return report
            # Every send of the batch is waited for, even when one raises something unexpected:
            # the texts Twilio accepted keep their SIDs (else they would stay `sending` until
            # their lease ran out, then be marked failed and escalated although sent). The one
            # that raised is left to its lease (at most once) and the pass ends with its error.
            results = await asyncio.gather(
                *(self._send_limited(r, now, report) for r in claimed), return_exceptions=True
            )
            await self._record_accepted(
                [r for r in results if r is not None and not isinstance(r, BaseException)],
                now,
                report,
            )
            for result in results:
                if isinstance(result, BaseException):
                    raise result

    async def _send_limited(
        self, row: outbox.Claimed, now: datetime, report: SendReport
    ) -> Accepted | None:
        async with self._limit:
            return await self._send(row, now, report)

    async def _send(
        self, row: outbox.Claimed, now: datetime, report: SendReport
    ) -> Accepted | None:
        """Hand one row to the provider: (row, sid, status) when accepted, else None (recorded)."""
        urls = self._config.urls
        try:
            if row.channel == Channel.VOICE:
                placed = await self._telephony.place_call(
                    to=row.to, from_=row.from_, url=urls.alert_call(row.id),
                    status_callback=urls.call_status(row.id), timeout_s=ALERT_CALL_TIMEOUT_S,
                )  # fmt: skip
                return row, placed.sid, status_on_acceptance(placed.status)
            sent = await self._telephony.send_sms(
                to=row.to, from_=row.from_, body=row.body,
                status_callback=urls.message_status(row.id),
            )  # fmt: skip
            return row, sent.sid, status_on_acceptance(sent.status)
        except TelephonyUnavailable as exc:
            await self._unavailable(row, exc, now, report)
        except TelephonyRejected as exc:
            await self._rejected(row, str(exc), now, report)
        return None

    async def _record_accepted(
        self, accepted: list[Accepted], now: datetime, report: SendReport
    ) -> None:
        """Keep the provider's SIDs, one transaction for the batch (one chain-head lock)."""
        if not accepted:
            return
        async with self._sessions() as session:
            # Every row locked first, in id order: a status callback for one of them waits for
            # this short transaction (it takes the chain head only as it commits).
            ids = [row.id for row, _, _ in accepted]
            locked = {row.id: row for row in await outbox.lock_rows(session, ids)}
            for row, sid, status in sorted(accepted, key=lambda a: a[0].id):
                recorded = locked.get(row.id)
                if recorded is not None:
                    outbox.mark_accepted(recorded, sid=sid, status=status, now=now)
                    await message_event(
                        session, recorded, EventKind(f"{row.channel}.sent"), now, sid=sid
                    )
            await session.commit()
        report.sent += [row.id for row, _, _ in accepted]

    async def _unavailable(
        self, row: outbox.Claimed, exc: TelephonyUnavailable, now: datetime, report: SendReport
    ) -> None:
        if row.attempts >= self._config.max_attempts:
            await self._rejected(row, f"gave up after {row.attempts} attempts: {exc}", now, report)
            return
        delay = self.backoff(row.attempts, exc.retry_after)
        async with self._sessions() as session:
            await outbox.record_retry(
                session, row_id=row.id, error=str(exc), at=now + timedelta(seconds=delay), now=now
            )
            await session.commit()
        log.warning("provider unavailable; will retry", message=row.id, retry_in_s=delay)
        report.retried.append(row.id)

    async def _rejected(
        self, row: outbox.Claimed, error: str, now: datetime, report: SendReport
    ) -> None:
        async with self._sessions() as session:
            failed = await outbox.record_failure(session, row_id=row.id, error=error, now=now)
            if failed is not None:
                await message_failed(
                    session, failed, at=now, reason="rejected", on_failure=self._on_failure
                )
            await session.commit()
        log.warning("provider refused a message", message=row.id, error=error[:200])
        report.failed.append(row.id)
