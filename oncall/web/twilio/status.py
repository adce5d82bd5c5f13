"""Twilio status callbacks for the outbox: each message's and alert call's progress."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from integrations.twilio import urls
from integrations.twilio.words import call_progress, delivery
from oncall import keys
from oncall.domain.escalation import record_alert_call_progress, record_text_delivery
from oncall.log import get_logger
from oncall.web.ids import MAX_ID
from oncall.web.twilio.answer import status_in
from oncall.web.twilio.security import params_of

log = get_logger(__name__)

routes = web.RouteTableDef()


def _outbox_id(request: web.Request) -> int | None:
    """The outbox row in our own callback URL; None when it cannot name one (nothing to record)."""
    try:
        row_id = int(request.query.get("outbox", ""))
    except ValueError:
        return None
    return row_id if 1 <= row_id <= MAX_ID else None


StatusUpdate = Callable[[AsyncSession, int, dict[str, str], datetime], Awaitable[None]]


async def _record(request: web.Request, update: StatusUpdate) -> web.Response:
    """Apply one status callback in its own transaction.

    If it cannot be recorded (the database is down) the answer is 503, never a 500: Twilio
    retries the callback, so the status is not lost. A callback naming no outbox row, or a
    status word with nothing to record, is answered and ignored.
    """
    row_id = _outbox_id(request)
    if row_id is None:
        return web.Response(status=204)

    async def apply() -> None:
        async with request.config_dict[keys.DATABASE].sessions() as session:
            now = request.config_dict[keys.CLOCK].now()
            await update(session, row_id, params_of(request), now)
            await session.commit()

    try:
        await request.config_dict[keys.WEBHOOK_BUDGET].run(apply)
    except Exception:  # OverBudget too: not recorded in time, and Twilio retries
        log.exception("status callback not recorded; Twilio will retry", path=request.path)
        return web.Response(status=503, text="try again")
    return web.Response(status=204)


@routes.post(urls.MESSAGE_STATUS)
async def message(request: web.Request) -> web.Response:
    """MessageStatus: queued, sent, delivered, undelivered, failed (with ErrorCode)."""

    async def update(
        session: AsyncSession, row_id: int, params: dict[str, str], now: datetime
    ) -> None:
        reported = status_in(params, "MessageStatus", delivery)
        if reported is not None:
            await record_text_delivery(
                session,
                row_id=row_id,
                sid=params.get("MessageSid", ""),
                delivery=reported,
                error_code=params.get("ErrorCode", ""),
                now=now,
            )

    return await _record(request, update)


@routes.post(urls.CALL_STATUS)
async def call(request: web.Request) -> web.Response:
    """CallStatus of an alert call: initiated, ringing, in-progress, completed, busy, failed…"""

    async def update(
        session: AsyncSession, row_id: int, params: dict[str, str], now: datetime
    ) -> None:
        progress = status_in(params, "CallStatus", call_progress)
        if progress is not None:
            await record_alert_call_progress(
                session, row_id=row_id, sid=params.get("CallSid", ""), progress=progress, now=now
            )

    return await _record(request, update)
