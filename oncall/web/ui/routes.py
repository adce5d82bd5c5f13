"""Every screen of the web app, registered in one place (app.py calls add_ui_routes)."""

from __future__ import annotations

from aiohttp import web

from oncall.web.ui import errors, lines, my, now, requests_desk, staff
from oncall.web.ui.rota import actions as rota_actions
from oncall.web.ui.rota import edit as rota_edit
from oncall.web.ui.rota import jobs as rota_jobs
from oncall.web.ui.rota import pages as rota_pages


def add_ui_routes(app: web.Application) -> None:
    app.middlewares.append(errors.html_errors)  # innermost: sees each handler's refusals
    now.setup(app)
    rota_jobs.setup(app)
    app.add_routes(rota_pages.routes)
    app.add_routes(rota_actions.routes)
    app.add_routes(rota_edit.routes)
    app.add_routes(staff.routes)
    app.add_routes(my.routes)
    app.add_routes(requests_desk.routes)
    app.add_routes(lines.routes)
