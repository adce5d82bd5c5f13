"""Security headers on every response the app sends (pages, error pages, static files, the API,
Twilio's webhooks, the demo simulator), and a Server header that names no version.

The policy allows no inline script or style at all: every script and style sheet is a file under
/static/, and no template has an inline event handler or style attribute (tests/web/
test_headers.py reads them all). The reverse proxy adds none of these (deploy/nginx): one copy,
here, so the two cannot disagree.
"""

from __future__ import annotations

from aiohttp import web

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",  # no page of ours inside another site's frame (clickjacking)
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "X-Content-Type-Options": "nosniff",
    # Our own pages see where a click came from; other sites see nothing. A page with a secret
    # in its URL (the outcome link) sets no-referrer itself, and keeps it.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
SERVER = "oncall"


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: add what the handler did not set itself; hide the version."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["Server"] = SERVER
