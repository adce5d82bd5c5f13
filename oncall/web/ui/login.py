"""Sign in and sign out."""

from __future__ import annotations

import time

from aiohttp import web

from oncall import keys
from oncall.domain.people import sign_in
from oncall.log import get_logger
from oncall.web.auth import (
    SESSION_COOKIE,
    SESSION_SECONDS,
    check_csrf,
    client_address,
    current_user,
    make_session_cookie,
)
from oncall.web.ui.render import render

log = get_logger(__name__)

routes = web.RouteTableDef()


def _safe_next(target: str) -> str:
    """Only paths on this site: never an open redirect to somewhere else.

    Browsers read "/\\evil" as "//evil", and the URL library drops tabs and newlines ("/<tab>/evil"
    became "//evil"): any backslash, control or non-ASCII character sends the user home instead.
    """
    plain = target.isascii() and target.isprintable() and "\\" not in target
    return target if plain and target.startswith("/") and not target.startswith("//") else "/"


@routes.get("/login")
async def login_page(request: web.Request) -> web.Response:
    return render(
        "login.html",
        {"next": _safe_next(request.query.get("next", "/")), "error": None, "username": ""},
    )


@routes.post("/login")
async def login(request: web.Request) -> web.Response:
    form = await request.post()
    username = str(form.get("username", ""))[:60].strip()
    password = str(form.get("password", ""))[:200]
    target = _safe_next(str(form.get("next", "/")))
    throttle = request.config_dict[keys.LOGIN_THROTTLE]
    now = time.monotonic()
    throttle_keys = (f"user:{username.lower()}", f"ip:{client_address(request)}")
    if throttle.blocked(throttle_keys, now):
        log.warning("sign-in refused: too many failures", username=username, remote=request.remote)
        return render(
            "login.html",
            {"next": target, "username": username,
             "error": "Too many failed attempts. Wait 15 minutes and try again."},
            status=429,
        )  # fmt: skip
    async with request.config_dict[keys.DATABASE].sessions() as session:
        user = await sign_in(
            session, username=username, password=password, now=request.config_dict[keys.CLOCK].now()
        )
        await session.commit()
    if user is None:
        throttle.failed(throttle_keys, now)
        log.warning("sign-in failed", username=username, remote=request.remote)
        return render(
            "login.html",
            {"next": target, "username": username, "error": "Wrong user name or password."},
            status=401,
        )
    throttle.succeeded(throttle_keys)
    log.info("signed in", username=username)
    response = web.HTTPSeeOther(target)
    settings = request.config_dict[keys.SETTINGS]
    response.set_cookie(
        SESSION_COOKIE,
        make_session_cookie(request.config_dict[keys.SIGNING_KEY], user.id, time.time()),
        max_age=SESSION_SECONDS,
        httponly=True,
        secure=settings.public_url.startswith("https://"),
        samesite="Lax",
        path="/",
    )
    raise response


@routes.post("/logout")
async def logout(request: web.Request) -> web.Response:
    user = current_user(request)
    if user is not None:
        if user.session_id is not None:  # a cross-site page must not sign people out
            await check_csrf(request, user.session_id)
        log.info("signed out", username=user.username)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response
