"""Twilio webhooks (voice, messaging, status callbacks), all behind the signature check."""

from __future__ import annotations

from aiohttp import web

from oncall.web.twilio import alert_calls, sms, status, voice
from oncall.web.twilio.security import require_twilio_signature


def twilio_app() -> web.Application:
    """The /twilio/ sub-application: every route in it requires a valid Twilio signature."""
    app = web.Application(middlewares=[require_twilio_signature])
    app.add_routes(voice.routes)
    app.add_routes(sms.routes)
    app.add_routes(status.routes)
    app.add_routes(alert_calls.routes)
    return app
