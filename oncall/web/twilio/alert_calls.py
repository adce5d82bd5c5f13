"""The alert call: Twilio fetches what to say when the person picks up; 1 acknowledges."""

from __future__ import annotations

from aiohttp import web

from integrations import voice
from integrations.twilio import twiml, urls
from oncall import keys
from oncall.domain.escalation import alert_call_key, alert_call_script
from oncall.domain.escalation.status import NOT_ACKNOWLEDGED
from oncall.log import get_logger
from oncall.web.ids import MAX_ID
from oncall.web.twilio.answer import twiml_response
from oncall.web.twilio.security import params_of

log = get_logger(__name__)

routes = web.RouteTableDef()

# When the database fails the person still hears what to do.
SCRIPT_FAILED = "Out-of-hours alert. Please check your text messages. Press 1 to acknowledge."
KEY_FAILED = "Sorry, that could not be recorded. Please reply ACK to the text message."


def _outbox_id(request: web.Request) -> int:
    try:
        row_id = int(request.query.get("outbox", ""))
    except ValueError:
        row_id = 0
    if not 1 <= row_id <= MAX_ID:
        raise web.HTTPBadRequest(text="outbox: expected an outbox id (a whole number from 1)")
    return row_id


@routes.post(urls.ALERT_CALL)
async def alert_call(request: web.Request) -> web.Response:
    """Read the alert (no child's details) and ask for 1; silence ends the call politely."""
    row_id = _outbox_id(request)
    settings = request.config_dict[keys.SETTINGS]

    async def script() -> voice.Instruction:
        async with request.config_dict[keys.DATABASE].sessions() as session:
            return await alert_call_script(session, row_id=row_id, zone=settings.zone)

    try:
        answer = await request.config_dict[keys.WEBHOOK_BUDGET].run(script)
    except Exception:  # OverBudget too
        log.exception("alert call script failed", outbox=row_id)
        answer = voice.AlertCall(row_id, SCRIPT_FAILED, NOT_ACKNOWLEDGED)
    return twiml_response(twiml.render(answer))


@routes.post(urls.ALERT_CALL_KEY)
async def alert_call_key_pressed(request: web.Request) -> web.Response:
    row_id = _outbox_id(request)
    digits = params_of(request).get("Digits", "")
    settings = request.config_dict[keys.SETTINGS]
    now = request.config_dict[keys.CLOCK].now()

    async def key() -> voice.Instruction:
        async with request.config_dict[keys.DATABASE].sessions() as session:
            answer = await alert_call_key(
                session, row_id=row_id, digits=digits, now=now, zone=settings.zone
            )
            await session.commit()
            return answer

    try:
        answer = await request.config_dict[keys.WEBHOOK_BUDGET].run(key)
    except Exception:  # OverBudget too
        log.exception("alert call key failed", outbox=row_id)
        answer = voice.HangUp(KEY_FAILED)
    return twiml_response(twiml.render(answer))
