"""POST /twilio/sms/incoming: staff commands and texts to a line, each answered with <Message>."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.exc import IntegrityError
from twilio.twiml.messaging_response import MessagingResponse

from oncall import keys
from oncall.domain.escalation import handle_inbound_sms, stored_sms_reply
from oncall.domain.texts.gsm7 import fit
from oncall.log import get_logger
from oncall.web.twilio.security import params_of
from oncall.web.ui.outcome import outcome_links
from oncall.wiring import missing_commands

log = get_logger(__name__)

routes = web.RouteTableDef()

# When the database fails the sender still hears something useful, never silence.
SORRY = fit(
    "Sorry, the out-of-hours service could not process your text. Please call the line; "
    "in an emergency dial 999."
)


def messaging_reply(body: str) -> web.Response:
    """TwiML with one <Message> (or none, for a rate-limited sender)."""
    response = MessagingResponse()
    if body:
        response.message(body)
    return web.Response(text=str(response), content_type="application/xml", charset="utf-8")


@routes.post("/sms/incoming")
async def incoming(request: web.Request) -> web.Response:
    params = params_of(request)
    settings = request.config_dict[keys.SETTINGS]
    db = request.config_dict[keys.DATABASE]
    now = request.config_dict[keys.CLOCK].now()
    sid = params.get("MessageSid") or params.get("SmsSid") or f"unknown-{now.timestamp()}"
    try:
        async with db.sessions() as session:
            reply = await handle_inbound_sms(
                session,
                sid=sid,
                from_=params.get("From", ""),
                to=params.get("To", ""),
                body=params.get("Body", ""),
                now=now,
                zone=settings.zone,
                junk_per_hour=settings.sms_junk_per_hour,
                links=outcome_links(request.config_dict),
                more=missing_commands(settings),
            )
            await session.commit()
    except IntegrityError:  # the same text, retried by Twilio while the first was in flight
        async with db.sessions() as session:
            reply = await stored_sms_reply(session, sid) or ""
    except Exception:
        log.exception("inbound text could not be handled", sid=sid)
        reply = SORRY
    return messaging_reply(reply)
