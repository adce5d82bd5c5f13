"""What the missing screens read from a form: local times, the actor, an episode's id."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from oncall import keys
from oncall.domain.missing import Actor, EpisodeInvalid
from oncall.web.ui.common import signed_in


def local_time(raw: str, zone: ZoneInfo, name: str) -> datetime | None:
    """A local date and time from a datetime-local field ("2027-01-08T23:10"); None when empty."""
    if not raw.strip():
        return None
    try:
        return datetime.fromisoformat(raw.strip()).replace(tzinfo=zone)
    except ValueError:
        raise EpisodeInvalid(name, "not a date and time (YYYY-MM-DD HH:MM)") from None


def web_actor(request: web.Request) -> Actor:
    """The signed-in user, as the episode's events name them (a user, not a person by text)."""
    return Actor(signed_in(request).username, "web")


def episode_id(request: web.Request) -> int:
    return int(request.match_info["id"])  # the route admits digits only; ids.py bounds them


def now_local(request: web.Request) -> datetime:
    settings = request.config_dict[keys.SETTINGS]
    return request.config_dict[keys.CLOCK].now().astimezone(settings.zone)
