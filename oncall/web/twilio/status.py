"""Twilio status callbacks for the outbox: each message's and alert call's progress."""

from __future__ import annotations

from aiohttp import web

from oncall import keys
from oncall.domain.escalation_status import call_status, message_status
from oncall.log import get_logger
from oncall.web.twilio.security import params_of

log = get_logger(__name__)

routes = web.RouteTableDef()


def _outbox_id(request: web.Request) -> int | None:
    try:
        return int(request.query.get("outbox", ""))
    except ValueError:
        return None


@routes.post("/status/message")
async def message(request: web.Request) -> web.Response:
    """MessageStatus: queued, sent, delivered, undelivered, failed (with ErrorCode)."""
    params = params_of(request)
    row_id = _outbox_id(request)
    if row_id is None:
        return web.Response(status=204)
    db = request.config_dict[keys.DATABASE]
    now = request.config_dict[keys.CLOCK].now()
    async with db.sessions() as session:
        await message_status(
            session,
            row_id=row_id,
            sid=params.get("MessageSid", ""),
            status=params.get("MessageStatus", ""),
            error_code=params.get("ErrorCode", ""),
            now=now,
        )
        await session.commit()
    return web.Response(status=204)


@routes.post("/status/call")
async def call(request: web.Request) -> web.Response:
    """CallStatus of an alert call: initiated, ringing, in-progress, completed, busy, failed…"""
    params = params_of(request)
    row_id = _outbox_id(request)
    if row_id is None:
        return web.Response(status=204)
    db = request.config_dict[keys.DATABASE]
    now = request.config_dict[keys.CLOCK].now()
    async with db.sessions() as session:
        await call_status(
            session,
            row_id=row_id,
            sid=params.get("CallSid", ""),
            status=params.get("CallStatus", ""),
            now=now,
        )
        await session.commit()
    return web.Response(status=204)
