"""Who is asking: bearer API tokens and server-side sessions behind signed cookies, roles, CSRF,
the device cookie that lets a browser which signed in before keep trying, the client address."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import ipaddress
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web
from aiohttp.typedefs import Handler

from oncall import keys
from oncall.db.models import Role
from oncall.domain.people import SESSION_LIFETIME, session_user, user_for_token
from oncall.log import get_logger

log = get_logger(__name__)

SESSION_COOKIE = "oncall_session"
SESSION_SECONDS = int(SESSION_LIFETIME.total_seconds())
DEVICE_COOKIE = "oncall_device"
DEVICE_SECONDS = 180 * 24 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True, slots=True)
class AuthUser:
    """The signed-in user of a request."""

    id: int
    username: str
    display_name: str
    roles: frozenset[str]
    person_id: int | None
    session_id: str | None = None  # set for cookie sessions, None for API tokens

    def has(self, *roles: Role) -> bool:
        return bool(self.roles & {r.value for r in roles})


USER = web.RequestKey("user", AuthUser)


def _sign(secret: bytes, payload: bytes) -> str:
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()


def _device_key(secret: bytes) -> bytes:
    # A key of its own, so a device cookie can never pass as a session cookie or the reverse.
    return hmac.new(secret, b"oncall device cookie v1", hashlib.sha256).digest()


def _signed(secret: bytes, data: dict[str, object]) -> str:
    payload = json.dumps(data).encode()
    return f"{base64.urlsafe_b64encode(payload).decode()}.{_sign(secret, payload)}"


def _read_signed(secret: bytes, cookie: str) -> dict[str, object] | None:
    try:
        encoded, signature = cookie.split(".", 1)
        payload = base64.urlsafe_b64decode(encoded.encode())
        if not hmac.compare_digest(_sign(secret, payload), signature):
            return None
        data = json.loads(payload)
    except (ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None


def make_session_cookie(secret: bytes, user_id: int, session_id: str, now: float) -> str:
    """The cookie of a session started in the database (`start_session`)."""
    return _signed(secret, {"u": user_id, "t": int(now), "s": session_id})


def read_session_cookie(secret: bytes, cookie: str, now: float) -> tuple[int, str] | None:
    """(user id, session id) from a genuine, unexpired cookie; None otherwise. Whether the
    session still exists is the database's answer (`session_user`)."""
    data = _read_signed(secret, cookie)
    try:
        if data is None or now - float(str(data["t"])) > SESSION_SECONDS:
            return None
        return int(str(data["u"])), str(data["s"])
    except (ValueError, KeyError):
        return None


def make_device_cookie(secret: bytes, username: str, device_id: str, now: float) -> str:
    """The cookie a browser gets when it signs in: it may keep trying that user name, on its
    own count, while strangers' guesses slow the account down for everyone else."""
    return _signed(_device_key(secret), {"n": username.lower(), "d": device_id, "t": int(now)})


def read_device_cookie(secret: bytes, cookie: str, username: str, now: float) -> str | None:
    """The device id of a genuine, unexpired device cookie issued to `username`; else None."""
    data = _read_signed(_device_key(secret), cookie)
    try:
        if data is None or now - float(str(data["t"])) > DEVICE_SECONDS:
            return None
        if str(data["n"]) != username.lower():
            return None
        return str(data["d"])[:64]
    except (ValueError, KeyError):
        return None


def csrf_token(secret: bytes, session_id: str) -> str:
    return _sign(secret, f"csrf:{session_id}".encode())


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Attach the user (if any) from a bearer token or a session cookie.

    Twilio routes, health checks and /metrics (its own bearer token) skip the lookup.
    """
    if request.path.startswith(("/twilio/", "/static/", "/healthz", "/readyz", "/metrics")):
        return await handler(request)
    user = await _user_from_request(request)
    if user is not None:
        request[USER] = user
    return await handler(request)


async def _user_from_request(request: web.Request) -> AuthUser | None:
    db = request.config_dict[keys.DATABASE]
    now = request.config_dict[keys.CLOCK].now()
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        async with db.sessions() as session:
            user = await user_for_token(session, header[7:].strip(), now=now)
            await session.commit()
        if user is None:
            return None
        return AuthUser(user.id, user.username, user.display_name, user.role_names, user.person_id)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    read = read_session_cookie(request.config_dict[keys.SIGNING_KEY], cookie, time.time())
    if read is None:
        return None
    user_id, session_id = read
    # Sessions live in real time, not the service's clock: the demo's clock jumps about.
    async with db.sessions() as session:
        user = await session_user(session, user_id, session_id, now=datetime.now(UTC))
    if user is None:
        return None
    return AuthUser(
        user.id, user.username, user.display_name, user.role_names, user.person_id, session_id
    )


def current_user(request: web.Request) -> AuthUser | None:
    return request.get(USER)


RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def require(*roles: Role) -> Callable[[RouteHandler], RouteHandler]:
    """Only users holding one of `roles` (any signed-in user when none are given).

    API requests get JSON 401/403; pages send anonymous users to the sign-in page. Unsafe methods
    on a cookie session must carry the session's CSRF token.
    """

    def wrap(handler: RouteHandler) -> RouteHandler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            user = current_user(request)
            api = request.path.startswith("/api/")
            if user is None:
                if api:
                    raise web.HTTPUnauthorized(reason="sign in or send a bearer token")
                raise web.HTTPSeeOther(f"/login?next={request.path_qs}")
            if roles and not user.has(*roles):
                log.warning("access refused", user=user.username, path=request.path)
                raise web.HTTPForbidden(reason="your role does not allow this")
            if request.method not in ("GET", "HEAD", "OPTIONS") and user.session_id is not None:
                await check_csrf(request, user.session_id)
            return await handler(request)

        # The handler's name, docs and module (the route fuzz reads its fields from its source).
        return functools.wraps(handler)(guarded)

    return wrap


async def check_csrf(request: web.Request, session_id: str) -> None:
    expected = csrf_token(request.config_dict[keys.SIGNING_KEY], session_id)
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = await request.post()
        value = form.get(CSRF_FIELD, "")
        sent = value if isinstance(value, str) else ""
    if not hmac.compare_digest(expected, sent):
        log.warning("CSRF token missing or wrong", path=request.path)
        raise web.HTTPForbidden(reason="the form has expired: reload the page and try again")


@functools.lru_cache(maxsize=8)
def _networks(setting: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(n.strip(), strict=False) for n in setting.split(",") if n)


def client_address(request: web.Request) -> str:
    """The address to count sign-in failures against.

    Behind the reverse proxy every request comes from the proxy's address, and counting them all
    together would let five wrong passwords lock everyone out. When the peer is one of our
    proxies (ONCALL_TRUSTED_PROXIES; loopback by default) the last X-Forwarded-For entry, which
    the proxy itself appended, names the real client; earlier entries are whatever the client
    sent and are ignored. From any other peer the header is ignored: a client reaching the app
    directly could otherwise name a new address on every guess.
    """
    remote = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    trusted = _networks(request.config_dict[keys.SETTINGS].trusted_proxies)
    try:
        peer = ipaddress.ip_address(remote)
        via_proxy = any(peer in network for network in trusted)
    except ValueError:
        via_proxy = False
    if via_proxy and forwarded:
        return forwarded.rsplit(",", 1)[-1].strip()[:64] or remote
    return remote
