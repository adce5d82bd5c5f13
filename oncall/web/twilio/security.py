"""Every /twilio/ request must carry a valid X-Twilio-Signature over the PUBLIC URL."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from integrations.twilio import SIGNATURE_HEADER, validate_signature
from oncall import keys
from oncall.log import get_logger

log = get_logger(__name__)

TWILIO_PARAMS = web.RequestKey("twilio_params", dict[str, str])


async def form_params(request: web.Request) -> dict[str, str]:
    """The POST form fields as text (Twilio sends application/x-www-form-urlencoded)."""
    if request.method != "POST":
        return {}
    form = await request.post()
    return {k: v if isinstance(v, str) else "" for k, v in form.items()}


@web.middleware
async def require_twilio_signature(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse (403, logged) anything not signed by Twilio with one of our auth tokens.

    The URL signed is ONCALL_PUBLIC_URL + path and query, never the address the request arrived
    on: a reverse proxy or load balancer changes that.
    """
    settings = request.config_dict[keys.SETTINGS]
    try:
        params = await form_params(request)
    except (ValueError, UnicodeDecodeError, LookupError):
        # A body that does not decode (bad bytes, an unknown charset): Twilio never sends one,
        # and without the fields the signature cannot even be checked. Refused, never a 500.
        log.warning("twilio webhook refused: form cannot be read", path=request.path)
        return web.Response(status=400, text="the form could not be read")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    url = settings.public_url + request.path_qs
    if not validate_signature(url, params, signature, settings.auth_tokens):
        log.warning(
            "twilio webhook refused: bad or missing signature",
            path=request.path,
            remote=request.remote,
            signed=bool(signature),
        )
        return web.Response(status=403, text="invalid signature")
    request[TWILIO_PARAMS] = params
    return await handler(request)


def params_of(request: web.Request) -> dict[str, str]:
    """The verified form parameters (set by the middleware)."""
    return request[TWILIO_PARAMS]
