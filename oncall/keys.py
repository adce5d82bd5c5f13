"""Every typed web.AppKey the application uses, in one place."""

from __future__ import annotations

from aiohttp import web

from integrations.fake_twilio import FakeTwilio
from integrations.telephony import Telephony
from oncall.clock import Clock
from oncall.db.engine import Database
from oncall.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
DATABASE = web.AppKey("database", Database)
TELEPHONY = web.AppKey("telephony", Telephony)
FAKE_TWILIO = web.AppKey("fake_twilio", FakeTwilio)  # demo mode only
