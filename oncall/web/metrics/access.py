"""Who may read /metrics: the bearer token when one is set, else demo mode or this host only.

Without ONCALL_METRICS_TOKEN a production service (ONCALL_TELEPHONY=twilio) answers only a
request from the loopback address that no proxy forwarded: a reverse proxy on the same host also
connects from 127.0.0.1, so a request carrying a forwarding header is treated as from outside.
"""

from __future__ import annotations

import hmac
import ipaddress

from aiohttp import web

from oncall.settings import Settings

# Headers a reverse proxy adds; their presence means the real client is elsewhere.
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


def _bearer_matches(request: web.Request, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def from_this_host(request: web.Request) -> bool:
    """The request came straight from this machine (not through a proxy)."""
    if any(name in request.headers for name in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:  # a Unix socket or an unknown peer
        return False


def refusal(request: web.Request, settings: Settings) -> web.Response | None:
    """None when the request may read the metrics, else the response that says why not."""
    if settings.metrics_token:
        if _bearer_matches(request, settings.metrics_token):
            return None
        return web.Response(
            status=401,
            text="metrics: send the header Authorization: Bearer <ONCALL_METRICS_TOKEN>\n",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    if settings.telephony == "fake" or from_this_host(request):
        return None
    return web.Response(
        status=403,
        text="metrics: set ONCALL_METRICS_TOKEN to scrape from another host\n",
    )
