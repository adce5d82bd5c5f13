"""The alert call: Twilio fetches what to say when the person picks up; 1 acknowledges."""

from __future__ import annotations

from aiohttp import web
from twilio.twiml.voice_response import VoiceResponse

from oncall import keys
from oncall.domain.escalation import alert_call_key, alert_call_script
from oncall.log import get_logger
from oncall.web.ids import MAX_ID
from oncall.web.twilio.security import params_of
from oncall.web.twilio.twiml import VOICE

log = get_logger(__name__)

routes = web.RouteTableDef()

KEY_WAIT_SECONDS = 8


def _xml(response: VoiceResponse) -> web.Response:
    return web.Response(text=str(response), content_type="application/xml", charset="utf-8")


def _outbox_id(request: web.Request) -> int:
    try:
        row_id = int(request.query.get("outbox", ""))
    except ValueError:
        row_id = 0
    if not 1 <= row_id <= MAX_ID:
        raise web.HTTPBadRequest(text="outbox: expected an outbox id (a whole number from 1)")
    return row_id


@routes.post("/alert-call")
async def alert_call(request: web.Request) -> web.Response:
    """Read the alert (no child's details) and ask for 1; silence ends the call politely."""
    row_id = _outbox_id(request)
    settings = request.config_dict[keys.SETTINGS]
    response = VoiceResponse()
    try:
        async with request.config_dict[keys.DATABASE].sessions() as session:
            say = await alert_call_script(session, row_id=row_id, zone=settings.zone)
    except Exception:
        log.exception("alert call script failed", outbox=row_id)
        say = "Out-of-hours alert. Please check your text messages. Press 1 to acknowledge."
    if say is None:
        response.say("This alert has already been dealt with. Thank you.", voice=VOICE)
        response.hangup()
        return _xml(response)
    gather = response.gather(
        num_digits=1,
        timeout=KEY_WAIT_SECONDS,
        action=f"/twilio/alert-call/key?outbox={row_id}",
        method="POST",
    )
    gather.say(say, voice=VOICE)
    response.say("Not acknowledged. The alert will go to the next person. Goodbye.", voice=VOICE)
    response.hangup()
    return _xml(response)


@routes.post("/alert-call/key")
async def alert_call_key_pressed(request: web.Request) -> web.Response:
    row_id = _outbox_id(request)
    digits = params_of(request).get("Digits", "")
    settings = request.config_dict[keys.SETTINGS]
    now = request.config_dict[keys.CLOCK].now()
    response = VoiceResponse()
    try:
        async with request.config_dict[keys.DATABASE].sessions() as session:
            say = await alert_call_key(
                session, row_id=row_id, digits=digits, now=now, zone=settings.zone
            )
            await session.commit()
    except Exception:
        log.exception("alert call key failed", outbox=row_id)
        say = "Sorry, that could not be recorded. Please reply ACK to the text message."
    response.say(say, voice=VOICE)
    response.hangup()
    return _xml(response)
