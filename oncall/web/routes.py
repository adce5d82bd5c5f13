"""Every route of the app, registered in one place (create_app calls add_routes).

The router tries resources in the order they are added, so the order here is part of the
behaviour: a fixed path (/staff/templates) before the pattern that would also match it
(/staff/{code}), as within each module's table.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from integrations.twilio import urls
from oncall.settings import Settings
from oncall.web import demo, health, metrics
from oncall.web.api import contacts, events, missing_episodes, on_duty, openapi
from oncall.web.telephony import FAKE_PREFIX, fake_twilio_app
from oncall.web.twilio import twilio_app
from oncall.web.ui import demo_timeline, lines, login, my, now, outcome, pages, requests_desk, staff
from oncall.web.ui.audit import handover, reports
from oncall.web.ui.audit import pages as audit_pages
from oncall.web.ui.missing import dashboard as missing_dashboard
from oncall.web.ui.missing import episodes as missing_episode_pages
from oncall.web.ui.missing import meeting as missing_meeting
from oncall.web.ui.rota import actions, edit, jobs
from oncall.web.ui.rota import pages as rota_pages

STATIC_DIR = Path(__file__).parent / "ui" / "static"


def add_routes(app: web.Application, settings: Settings) -> None:
    """The pages, the JSON API, health and metrics, static files and the /twilio webhooks; in
    demo mode (ONCALL_TELEPHONY=fake) also the fake Twilio at /fake and the demo pages."""
    if settings.telephony == "fake":
        app.add_subapp(FAKE_PREFIX, fake_twilio_app(app))
        app.add_routes(demo_timeline.routes)
        app.add_routes(demo.routes)
    for module in (
        health, metrics, pages, login, on_duty, contacts, events, missing_episodes, openapi,
        handover, now, jobs,
        rota_pages, actions, edit, staff, my, requests_desk, lines, reports, audit_pages, outcome,
        missing_meeting, missing_dashboard, missing_episode_pages,
    ):  # fmt: skip
        app.add_routes(module.routes)
    app.router.add_static("/static/", STATIC_DIR, name="static")
    app.add_subapp(urls.PREFIX, twilio_app())
