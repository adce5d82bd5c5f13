"""Sends webhooks signed as Twilio signs them, with knobs for retries and forged signatures."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp
from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
# Twilio's default read timeout for webhooks is 15 s (see "Webhooks connection overrides").
WEBHOOK_TIMEOUT_S = 15.0

SignatureMode = Literal["valid", "forged", "absent"]


@dataclass(frozen=True, slots=True)
class WebhookResult:
    """The service's answer to one webhook (the last delivery, if it was sent twice)."""

    url: str
    method: str
    params: dict[str, str]
    status: int | None  # None: no HTTP answer (refused, timed out)
    body: str
    content_type: str
    idempotency_token: str
    signature: SignatureMode
    deliveries: int = 1
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the service answered 2xx."""
        return self.status is not None and 200 <= self.status < 300


def with_query(url: str, params: dict[str, str]) -> str:
    """`url` with `params` appended to its query string (how Twilio sends GET webhooks)."""
    parts = urlsplit(url)
    extra = urlencode(params)
    query = f"{parts.query}&{extra}" if parts.query and extra else parts.query or extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


@dataclass
class WebhookSender:
    """Signs and sends every request the fake makes to the service, and logs each one."""

    auth_token: str = field(repr=False)
    log: list[WebhookResult] = field(default_factory=list)
    # A new connection for each webhook (as Twilio's many senders make), so a load balancer in
    # front of several replicas spreads them; by default connections are kept alive.
    new_connection_each: bool = False
    _duplicate: int = 0
    _forge: list[SignatureMode] = field(default_factory=list)
    _before: list[tuple[str, Callable[[], Awaitable[None]]]] = field(default_factory=list)
    _session: aiohttp.ClientSession | None = None

    def duplicate_next(self, n: int = 1) -> None:
        """Deliver each of the next `n` webhooks twice with the same idempotency token."""
        self._duplicate += n

    def forge_next(self, n: int = 1, *, mode: Literal["forged", "absent"] = "forged") -> None:
        """Send the next `n` webhooks with a wrong signature, or with none at all."""
        self._forge.extend([mode] * n)

    def before_next(self, path: str, action: Callable[[], Awaitable[None]]) -> None:
        """Run `action` once, just before the next webhook whose URL contains `path` (a fault
        in the middle of a call, e.g. the service's database going away as Twilio asks)."""
        self._before.append((path, action))

    def forget_before(self) -> None:
        """Drop every `before_next` action not yet run."""
        self._before.clear()

    def sign(self, url: str, params: dict[str, str]) -> str:
        """Twilio's signature: HMAC-SHA1 of the URL plus sorted POST params, base64."""
        signature: str = RequestValidator(self.auth_token).compute_signature(url, params)
        return signature

    async def send(self, url: str, params: dict[str, str], method: str = "POST") -> WebhookResult:
        """Send one webhook and return the service's answer; never raises for HTTP failures."""
        method = method.upper()
        for i, (path, action) in enumerate(self._before):
            if path in url:
                del self._before[i]
                await action()
                break
        mode: SignatureMode = self._forge.pop(0) if self._forge else "valid"
        deliveries = 2 if self._duplicate > 0 else 1
        self._duplicate = max(0, self._duplicate - 1)
        target = with_query(url, params) if method == "GET" else url
        body_params = {} if method == "GET" else params
        token = str(uuid.uuid4())
        headers = {IDEMPOTENCY_HEADER: token, "User-Agent": "TwilioProxy/1.1 (oncall fake)"}
        if mode == "valid":
            headers[SIGNATURE_HEADER] = self.sign(target, body_params)
        elif mode == "forged":
            headers[SIGNATURE_HEADER] = RequestValidator("not-the-token").compute_signature(
                target, body_params
            )
        result: WebhookResult | None = None
        for _ in range(deliveries):
            result = await self._deliver(method, target, body_params, headers, mode, token)
        assert result is not None
        if deliveries > 1:
            result = replace(result, deliveries=deliveries)
        self.log.append(result)
        return result

    async def _deliver(
        self,
        method: str,
        url: str,
        params: dict[str, str],
        headers: dict[str, str],
        mode: SignatureMode,
        token: str,
    ) -> WebhookResult:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_S),
                connector=aiohttp.TCPConnector(force_close=self.new_connection_each),
            )
        try:
            async with self._session.request(
                method, url, data=params or None, headers=headers, allow_redirects=False
            ) as response:
                body = await response.text()
                return WebhookResult(
                    url,
                    method,
                    params,
                    status=response.status,
                    body=body,
                    content_type=response.content_type,
                    idempotency_token=token,
                    signature=mode,
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            return WebhookResult(
                url,
                method,
                params,
                status=None,
                body="",
                content_type="",
                idempotency_token=token,
                signature=mode,
                error=f"{type(exc).__name__}: {exc}",
            )

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None
