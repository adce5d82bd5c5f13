"""Template rendering: one autoescaping Jinja2 environment for every page."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

from oncall.phones import display_phone
from oncall.web.ui.navigation import nav_for

_env = Environment(
    loader=PackageLoader("oncall.web.ui", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["phone"] = display_phone
_env.globals["nav_for"] = nav_for


def until(end: datetime, zone: ZoneInfo) -> str:
    """The end of a period as people say it: local midnight is the end of the day before."""
    local = end.astimezone(zone)
    if local.time() == time(0):
        return f"{local - timedelta(days=1):%a %-d %b %Y} (end of day)"
    return f"{local:%a %-d %b %Y %H:%M}"


_env.filters["until"] = until


def render(template: str, context: dict[str, Any], *, status: int = 200) -> web.Response:
    """A text/html response from `template` with `context`."""
    body = _env.get_template(template).render(**context)
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
