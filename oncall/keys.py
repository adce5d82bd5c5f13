"""Every typed web.AppKey the application uses, in one place."""

from __future__ import annotations

from aiohttp import web

from oncall.clock import Clock
from oncall.db.engine import Database
from oncall.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
DATABASE = web.AppKey("database", Database)
