"""The twilio library's aiohttp client, pointed at a configurable REST base URL."""

from __future__ import annotations

import base64
import contextvars
import logging
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientSession, ClientTimeout
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response

# Every Twilio domain the library knows is https://<product>.twilio.com; we only use "api".
TWILIO_API_ORIGIN = "https://api.twilio.com"

# The library's TwilioRestException does not carry response headers, so the Retry-After of a
# 429 is handed to the adapter through a context variable. Awaiting a coroutine shares the
# caller's context, so the value is per request even with many requests in flight.
last_retry_after: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "twilio_last_retry_after", default=None
)

_logger = logging.getLogger("integrations.twilio.http")


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (the delta-seconds form); None if absent or a date."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(seconds, 0.0)


class RebasedAsyncHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """Sends the library's requests to `api_base` instead of https://api.twilio.com.

    The library builds absolute URLs from a hard-coded domain (also for next-page links), so
    rewriting at the HTTP client is the one place that catches them all. The aiohttp session
    is created on first use because aiohttp needs a running event loop, and the client-wide
    timeout is applied to every request (the library's own client only honours per-call ones).
    The request itself is ours rather than the parent's because the parent uses aiohttp's
    deprecated BasicAuth.
    """

    session: ClientSession | None

    def __init__(self, *, api_base: str, timeout: float) -> None:
        super().__init__(pool_connections=False, timeout=timeout, logger=_logger)
        self.api_base = api_base.rstrip("/")

    def rebase(self, url: str) -> str:
        """The URL with Twilio's origin replaced by our configured base.

        Any https://….twilio.com origin is replaced, so TWILIO_EDGE / TWILIO_REGION in the
        environment (which the library turns into api.<edge>.<region>.twilio.com) cannot send
        a test's requests to the real Twilio. With the default base, URLs are left alone.
        """
        if self.api_base == TWILIO_API_ORIGIN:
            return url
        parts = urlsplit(url)
        if parts.scheme == "https" and (parts.hostname or "").endswith(".twilio.com"):
            return self.api_base + parts.path + (f"?{parts.query}" if parts.query else "")
        return url

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the library's signature
        allow_redirects: bool = False,
    ) -> Response:
        """Send one request to the rebased URL and remember a 429's Retry-After."""
        if self.session is None:
            self.session = ClientSession()
        headers = dict(headers or {})
        if auth is not None:
            # Built by hand: aiohttp 3.14 deprecates BasicAuth, which the library's client uses.
            credentials = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {credentials}"
        kwargs: dict[str, Any] = {
            "method": method.upper(),
            "url": self.rebase(url),
            "params": params,
            "data": data,
            "headers": headers,
            "timeout": ClientTimeout(total=timeout if timeout is not None else self.timeout),
            "allow_redirects": allow_redirects,
        }
        async with self.session.request(**kwargs) as raw:
            text = await raw.text()
            response = Response(raw.status, text, raw.headers)
        # Method, path and status only: query strings and bodies carry phone numbers.
        _logger.debug("%s %s -> %s", kwargs["method"], raw.url.path, raw.status)
        last_retry_after.set(parse_retry_after(raw.headers.get("Retry-After")))
        return response

    async def close(self) -> None:
        """Close the aiohttp session, if one was opened."""
        if self.session is not None:
            await self.session.close()
            self.session = None
