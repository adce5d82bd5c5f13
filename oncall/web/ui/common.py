"""What every signed-in page shares: the user, the CSRF token, the navigation, notices and forms."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from oncall import keys
from oncall.domain.people import clear_notice, peek_notice, set_notice
from oncall.web.auth import AuthUser, csrf_token, current_user
from oncall.web.ui.navigation import EDITORS, READERS
from oncall.web.ui.render import render

NOTICE_WAITING = web.RequestKey("notice_waiting", str)  # the session's notice, if any
NOTICE_SHOWN = web.RequestKey("notice_shown", str)  # set when a page has shown it


def page(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    """Render a page with the signed-in user, their CSRF token, navigation and any notice."""
    user = current_user(request)
    token = ""
    if user is not None and user.session_id is not None:
        token = csrf_token(request.config_dict[keys.SIGNING_KEY], user.session_id)
    settings = request.config_dict[keys.SETTINGS]
    base = {
        "user": user,
        "csrf": token,
        "path": request.path,
        "notice": shown_notice(request),
        "zone": settings.zone,
        "now": request.config_dict[keys.CLOCK].now().astimezone(settings.zone),
    }
    return render(template, {**base, **context}, status=status)


def signed_in(request: web.Request) -> AuthUser:
    user = current_user(request)
    assert user is not None, "only called behind require()"
    return user


class NoticeRedirect(web.HTTPSeeOther):
    """A 303 with a one-line notice for the page it leads to; the notices middleware keeps the
    notice in the signed-in session (never in the URL, where another site could write one)."""

    def __init__(self, path: str, notice: str) -> None:
        super().__init__(path)
        self.notice = notice[:300]


def redirect(path: str, notice: str = "") -> web.HTTPSeeOther:
    """A 303 back to a page, with a one-line notice shown there (once)."""
    return NoticeRedirect(path, notice) if notice else web.HTTPSeeOther(path)


def shown_notice(request: web.Request) -> str:
    """The session's waiting notice, marked as shown (the middleware then forgets it)."""
    notice: str = request.get(NOTICE_WAITING) or ""
    if notice:
        request[NOTICE_SHOWN] = notice
    return notice


@web.middleware
async def session_notices(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Notices kept in the session: stored on a NoticeRedirect, offered to the next GET's page,
    and forgotten once a page has shown one."""
    user = current_user(request)
    session_id = user.session_id if user is not None else None
    if session_id is None:
        return await handler(request)
    database = request.config_dict[keys.DATABASE]
    if request.method == "GET":
        async with database.sessions() as session:
            request[NOTICE_WAITING] = await peek_notice(session, session_id) or ""
    try:
        response = await handler(request)
    except NoticeRedirect as exc:
        async with database.sessions() as session:
            await set_notice(session, session_id, exc.notice)
            await session.commit()
        raise web.HTTPSeeOther(exc.location) from None
    shown = request.get(NOTICE_SHOWN)
    if shown:
        async with database.sessions() as session:
            await clear_notice(session, session_id, shown)
            await session.commit()
    return response


def download(content: str | bytes, filename: str, content_type: str) -> web.Response:
    """A file for the browser to save (a CSV or a PDF), never kept in a shared cache."""
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }
    if isinstance(content, str):
        return web.Response(
            text=content, content_type=content_type, charset="utf-8", headers=headers
        )
    return web.Response(body=content, content_type=content_type, headers=headers)


def field(form: Any, name: str, limit: int = 500) -> str:
    value = form.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


__all__ = ["EDITORS", "READERS", "download", "field", "page", "redirect", "signed_in"]
