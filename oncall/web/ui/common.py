"""What every signed-in page shares: the user, the CSRF token, the navigation, notices and forms."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from oncall import keys
from oncall.web.auth import AuthUser, csrf_token, current_user
from oncall.web.ui.navigation import EDITORS, READERS
from oncall.web.ui.render import render


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
        "notice": request.query.get("notice", "")[:300],
        "zone": settings.zone,
        "now": request.config_dict[keys.CLOCK].now().astimezone(settings.zone),
    }
    return render(template, {**base, **context}, status=status)


def signed_in(request: web.Request) -> AuthUser:
    user = current_user(request)
    assert user is not None, "only called behind require()"
    return user


def redirect(path: str, notice: str = "") -> web.HTTPSeeOther:
    """A 303 back to a page, with a one-line notice shown there."""
    if notice:
        path += ("&" if "?" in path else "?") + "notice=" + quote(notice[:300])
    return web.HTTPSeeOther(path)


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
