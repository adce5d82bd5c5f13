"""Request ids on every log line, an access log, JSON errors for everything under /api/, and the
one translation of the domain's refusals to HTTP statuses."""

from __future__ import annotations

import re
import secrets
import time

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from oncall.domain.errors import Busy, Conflict, DomainError, NotFound
from oncall.log import get_logger

log = get_logger(__name__)

REQUEST_ID_HEADER = "X-Request-Id"


# Paths whose last segment is a bearer secret (the signed outcome link): never logged.
_SECRET_PATHS = ("/outcome/", "/o/")


# A path is logged as it is only when it is plain: letters, digits and a few marks, not long.
# Anything else (a name typed into a URL, NUL, another script, 10,000 characters) is logged as
# the route's template, so what someone put in a URL never reaches the log.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/._~:@-]{0,200}")


def loggable_path(path: str, template: str | None = None) -> str:
    """The request path as it may be logged: secret tokens in it replaced by "…", and a path that
    is not plain replaced by its route's template (`template`) or "(not a plain path)"."""
    for prefix in _SECRET_PATHS:
        if path.startswith(prefix):
            return prefix + "…"
    if _PLAIN_PATH.fullmatch(path):
        return path
    return template or "(not a plain path)"


def _template(request: web.Request) -> str | None:
    route = request.match_info.route
    resource = route.resource if route is not None else None
    return resource.canonical if resource is not None else None


def _is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


def http_refusal(exc: DomainError) -> web.HTTPException:
    """The HTTP answer to a refusal no handler turned into a page: nothing there 404, a state that
    forbids it 409, too busy now 503 with Retry-After, bad input (Invalid) 400; the reason is the
    domain's sentence."""
    if isinstance(exc, Busy):
        return web.HTTPServiceUnavailable(
            reason=str(exc), headers={"Retry-After": str(exc.retry_after)}
        )
    if isinstance(exc, NotFound):
        return web.HTTPNotFound(reason=str(exc))
    if isinstance(exc, Conflict):
        return web.HTTPConflict(reason=str(exc))
    return web.HTTPBadRequest(reason=str(exc))


def json_error(status: int, message: str, **extra: object) -> web.Response:
    """The one error shape of the JSON API: {"error": {"status", "message", ...}}."""
    return web.json_response(
        {"error": {"status": status, "message": message, **extra}}, status=status
    )


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bind a request id to the logging context and log one line per request."""
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = incoming if incoming.isalnum() and len(incoming) <= 64 else secrets.token_hex(8)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers[REQUEST_ID_HEADER] = request_id
        return response
    except web.HTTPException as exc:
        status = exc.status
        exc.headers[REQUEST_ID_HEADER] = request_id
        raise
    finally:
        log.info(
            "request",
            method=request.method,
            path=loggable_path(request.path, _template(request)),
            status=status,
            ms=round((time.perf_counter() - started) * 1000, 1),
        )


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Under /api/, every error is JSON; elsewhere, unexpected errors are logged and re-raised."""
    try:
        return await handler(request)
    except DomainError as exc:
        answer = http_refusal(exc)
        if not _is_api(request):
            raise answer from None
        return json_error(answer.status, answer.reason)
    except web.HTTPException as exc:
        if not _is_api(request) or exc.status < 400:
            raise
        return json_error(exc.status, exc.reason or "error")
    except Exception:
        log.exception("unhandled error", path=loggable_path(request.path, _template(request)))
        if _is_api(request):
            return json_error(500, "internal error: the request was not completed")
        raise
