"""POST /twilio/sms/incoming: staff commands and texts to a line, each answered with <Message>."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from integrations.twilio import twiml, urls
from oncall import keys
from oncall.domain.escalation import handle_inbound_sms, stored_sms_reply
from oncall.domain.texts.gsm7 import fit
from oncall.log import get_logger
from oncall.web.twilio.answer import twiml_response
from oncall.web.twilio.budget import OverBudget
from oncall.web.twilio.security import params_of
from oncall.wiring import missing_commands

log = get_logger(__name__)

routes = web.RouteTableDef()

# When the database fails the sender still hears something useful, never silence.
SORRY = fit(
    "Sorry, the out-of-hours service could not process your text. Please call the line; "
    "in an emergency dial 999."
)


@routes.post(urls.SMS_INCOMING)
async def incoming(request: web.Request) -> web.Response:
    params = params_of(request)
    settings = request.config_dict[keys.SETTINGS]
    db = request.config_dict[keys.DATABASE]
    now = request.config_dict[keys.CLOCK].now()
    sid = params.get("MessageSid") or params.get("SmsSid") or f"unknown-{now.timestamp()}"

    async def handle() -> str:
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
                    links=request.config_dict[keys.OUTCOME_LINKS],
                    more=missing_commands(settings),
                )
                await session.commit()
                return reply
        except IntegrityError:  # the same text, retried by Twilio while the first was in flight
            async with db.sessions() as session:
                return await stored_sms_reply(session, sid) or ""

    budget = request.config_dict[keys.WEBHOOK_BUDGET]
    try:
        reply = await budget.run(handle)
    except OverBudget:
        # Not recorded; the provider's records bring it back (oncall/domain/calls/recovery.py),
        # at the first pass after the database answers again.
        log.warning("inbound text over its time budget; the sender is asked to call", sid=sid)
        budget.apologise(sid)
        reply = SORRY
    except Exception:
        log.exception("inbound text could not be handled", sid=sid)
        budget.apologise(sid)
        reply = SORRY
    # One <Message>, or none (a rate-limited sender hears nothing back).
    return twiml_response(twiml.sms_reply(reply))
