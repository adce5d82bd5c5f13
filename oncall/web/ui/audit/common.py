"""What every audit page shares: the signed-in manager, the page context, and the read log."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from oncall import keys
from oncall.domain.audit import log_read
from oncall.web.auth import AuthUser, csrf_token, current_user
from oncall.web.fetch_metadata import refuse_reads_from_another_site


@dataclass
class AuditJobs:
    """Background audit work of this process: at most one whole-chain verification at a time."""

    verifying: asyncio.Task[None] | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def busy(self) -> bool:
        return self.verifying is not None and not self.verifying.done()


def manager(request: web.Request) -> AuthUser:
    """The signed-in user (the `require` decorator has already checked the role)."""
    user = current_user(request)
    if user is None:  # pragma: no cover - `require` redirects first
        raise web.HTTPUnauthorized()
    return user


def now(request: web.Request) -> datetime:
    return request.config_dict[keys.CLOCK].now()


def page_context(request: web.Request, **extra: Any) -> dict[str, Any]:
    """The context every audit template gets: user, CSRF token, local zone, the current time."""
    user = manager(request)
    settings = request.config_dict[keys.SETTINGS]
    key = request.config_dict[keys.SIGNING_KEY]
    token = csrf_token(key, user.session_id) if user.session_id else ""
    return {
        "user": user,
        "csrf_token": token,
        "zone": settings.zone,
        "now": now(request).astimezone(settings.zone),
        "path": request.path,
        "verifying": jobs.busy if (jobs := request.config_dict.get(keys.AUDIT_JOBS)) else False,
        **extra,
    }


async def logged_read(
    request: web.Request,
    session: AsyncSession,
    what: str,
    *,
    contact_id: int | None = None,
    query: Mapping[str, str] | None = None,
    rows: int | None = None,
) -> None:
    """Log this request's read (one event) and commit it with the session; a read that another
    site started is refused instead (never a record of a read the user did not choose)."""
    refuse_reads_from_another_site(request)
    await log_read(
        session,
        username=manager(request).username,
        what=what,
        at=now(request),
        contact_id=contact_id,
        query=query,
        rows=rows,
    )
    await session.commit()


def local(at: datetime | None, request: web.Request, fmt: str = "%a %d %b %Y %H:%M:%S") -> str:
    if at is None:
        return ""
    return at.astimezone(request.config_dict[keys.SETTINGS].zone).strftime(fmt)
