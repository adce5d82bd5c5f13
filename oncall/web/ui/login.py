"""Sign in and sign out."""

from __future__ import annotations

import re
import secrets
import time
from datetime import UTC, datetime

from aiohttp import web
from sqlalchemy.exc import DBAPIError, OperationalError

from oncall import keys
from oncall.domain.people import (
    DATABASE_WAIT_SECONDS,
    Limit,
    PasswordChecksBusy,
    attempt_succeeded,
    end_session,
    end_user_sessions,
    limits_for,
    note_sign_in,
    start_session,
    stored_password,
    take_attempt,
)
from oncall.log import get_logger
from oncall.web.auth import (
    DEVICE_COOKIE,
    DEVICE_SECONDS,
    SESSION_COOKIE,
    SESSION_SECONDS,
    check_csrf,
    client_address,
    current_user,
    make_device_cookie,
    make_session_cookie,
    read_device_cookie,
)
from oncall.web.fetch_metadata import from_another_site
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


# What a user name can be (oncall/domain/people/user_admin.py); anything else typed into the box
# (a password in the wrong field, someone's name, a 10,000-character string) is never logged.
_USERNAME = re.compile(r"[a-z][a-z0-9._-]{1,59}")


def _loggable(raw: str) -> str:
    name = raw.strip().lower()
    return name if len(raw) <= 60 and _USERNAME.fullmatch(name) else "(not a user name)"


@routes.get("/login")
async def login_page(request: web.Request) -> web.Response:
    return render(
        "login.html",
        {"next": _safe_next(request.query.get("next", "/")), "error": None, "username": ""},
    )


def _too_many(target: str, username: str, spent: Limit) -> web.Response:
    # The account's slow-down is a short wait; an address or a device waits for the window.
    wait = int((spent.spacing or spent.window).total_seconds())
    words = f"{wait} seconds" if wait < 120 else f"{wait // 60} minutes"
    response = render(
        "login.html",
        {"next": target, "username": username,
         "error": f"Too many attempts. Wait {words} and try again."},
        status=429,
    )  # fmt: skip
    response.headers["Retry-After"] = str(wait)
    return response


# A page made once: under a flood of sign-ins the refusals must cost the event loop next to nothing.
_BUSY_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Busy: on-call</title>'
    "</head><body><main><h1>Busy</h1><p>The service is busy checking other sign-ins. "
    '<a href="/login">Try again</a> in a moment.</p></main></body></html>'
)


def _busy(retry_after: int) -> web.Response:
    response = web.Response(text=_BUSY_PAGE, status=503, content_type="text/html")
    response.headers["Retry-After"] = str(retry_after)
    return response


@routes.post("/login")
async def login(request: web.Request) -> web.Response:
    if from_another_site(request):  # login CSRF: another site signing a browser in as someone
        log.warning("sign-in from another site refused", client=client_address(request))
        raise web.HTTPForbidden(reason="sign in from this site's own sign-in page")
    passwords = request.config_dict[keys.PASSWORDS]
    if passwords.busy:  # refused before the form is even read: a flood costs next to nothing
        return _refused(request, passwords.retry_after())
    form = await request.post()
    typed = str(form.get("username", ""))
    username, shown = typed[:60].strip(), _loggable(typed)
    password = str(form.get("password", ""))[:200]
    target = _safe_next(str(form.get("next", "/")))
    secret, client = request.config_dict[keys.SIGNING_KEY], client_address(request)
    device = read_device_cookie(
        secret, request.cookies.get(DEVICE_COOKIE, ""), username, time.time()
    )
    limits = limits_for(username, client, device)
    try:
        # A place in the password checks, taken on arrival: past the cap a sign-in costs nothing
        # more, neither the database nor a check (docs/routing.md, "Isolation").
        with passwords.reserve():
            return await _sign_in(request, username, shown, password, target, device, limits)
    except PasswordChecksBusy as busy:
        return _refused(request, busy.retry_after)
    except (OSError, TimeoutError, OperationalError, DBAPIError) as exc:
        # The database slow or away (a sign-in's waits are limited): try again shortly, not a
        # 500; the attempt, if it was taken, stays counted.
        log.warning("sign-in failed: database", client=client, error=type(exc).__name__)
        return _busy(int(DATABASE_WAIT_SECONDS))


class _RefusalLog:
    """Refusals for busy password checks are logged once, then counted: a flood of thousands
    is a line every LOG_EVERY seconds naming how many (and the last client), not a line each,
    which would cost the loop (and the disk) as much as the sign-ins it spares."""

    LOG_EVERY = 10.0

    def __init__(self) -> None:
        self.unlogged = 0
        self.logged_at = float("-inf")

    def refused(self, client: str) -> None:
        self.unlogged += 1
        now = time.monotonic()
        if now - self.logged_at >= self.LOG_EVERY:
            log.warning("sign-in refused: password checks busy", client=client,
                        refused=self.unlogged, seconds=self.LOG_EVERY)  # fmt: skip
            self.unlogged, self.logged_at = 0, now


_refusals = _RefusalLog()


def _refused(request: web.Request, retry_after: int) -> web.Response:
    _refusals.refused(client_address(request))
    return _busy(retry_after)


async def _sign_in(
    request: web.Request,
    username: str,
    shown: str,
    password: str,
    target: str,
    device: str | None,
    limits: list[Limit],
) -> web.Response:
    config, client = request.config_dict, client_address(request)
    secret, passwords = config[keys.SIGNING_KEY], config[keys.PASSWORDS]
    database, now = config[keys.DATABASE], config[keys.CLOCK].now()
    # The attempt is taken (and committed, for every replica to see) before the password is
    # checked: guesses sent all at once are counted one after another, not all let through.
    # One transaction takes it and reads the password's hash: a few round trips of the event
    # loop's (the webhooks' too), where two transactions made twice as many.
    # A turn at the database: a few sign-ins at once, so that a slow database cannot let the
    # places admitted take every pooled connection from the webhooks (passwords.py).
    async with passwords.database_turn(), database.sessions() as session:
        spent = await take_attempt(session, limits, now=now)
        stored = None if spent else await stored_password(session, username)
        await (session.rollback() if spent else session.commit())
    if spent is not None:
        log.warning("sign-in refused: too many attempts", username=shown, client=client,
                    limit=spent.key.split(":", 1)[0])  # fmt: skip
        return _too_many(target, username, spent)
    # Checked off the event loop with no connection held (SQLite has one); an unknown name costs
    # the same check, in the same threads, so the time taken does not reveal which names exist.
    right = await passwords.check(stored.password_hash if stored else None, password)
    user, session_id = None, ""
    if stored is not None and right:
        renewed = await passwords.renewed(stored.password_hash, password)
        async with passwords.database_turn(), database.sessions() as session:
            user = await note_sign_in(session, stored.user_id, now=now, renewed=renewed)
            if user is not None:
                await attempt_succeeded(session, limits)
                session_id = await start_session(session, user.id, now=datetime.now(UTC))
            await session.commit()
    if user is None:
        log.warning("sign-in failed", username=shown, client=client)
        return render(
            "login.html",
            {"next": target, "username": username, "error": "Wrong user name or password."},
            status=401,
        )
    log.info("signed in", username=shown)
    response = web.HTTPSeeOther(target)
    secure = request.config_dict[keys.SETTINGS].public_url.startswith("https://")
    response.set_cookie(
        SESSION_COOKIE, make_session_cookie(secret, user.id, session_id, time.time()),
        max_age=SESSION_SECONDS, httponly=True, secure=secure, samesite="Lax", path="/",
    )  # fmt: skip
    # This browser may keep trying this name on its own count from now on (see limits_for).
    device_cookie = make_device_cookie(
        secret, username, device or secrets.token_urlsafe(16), time.time()
    )
    response.set_cookie(
        DEVICE_COOKIE, device_cookie, max_age=DEVICE_SECONDS, httponly=True, secure=secure,
        samesite="Strict", path="/login",
    )  # fmt: skip
    raise response


@routes.post("/logout")
async def logout(request: web.Request) -> web.Response:
    """End this browser's session, or with `everywhere=1` every session of the user."""
    user = current_user(request)
    if user is not None and user.session_id is not None:
        await check_csrf(request, user.session_id)  # a cross-site page must not sign people out
        everywhere = (await request.post()).get("everywhere") == "1"
        async with request.config_dict[keys.DATABASE].sessions() as session:
            if everywhere:
                await end_user_sessions(session, user.id)
            else:
                await end_session(session, user.session_id)
            await session.commit()
        log.info("signed out", username=user.username, everywhere=everywhere)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response
