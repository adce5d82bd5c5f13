"""Fault injection for reliability tests: failing, throttled or hanging REST requests."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Literal

Resource = Literal["Messages", "Calls"]
FaultKind = Literal["error", "rate-limit", "hang", "lost-response"]

# Hanging is bounded so a forgotten fault cannot wedge a test run or the demo server.
MAX_HANG_S = 30.0

# Twilio's delivery error codes for the message statuses a destination rule can force.
DELIVERY_ERROR_CODES = {"undelivered": 30003, "failed": 30005}


@dataclass(slots=True)
class Fault:
    """One armed fault, used up by `remaining` matching requests."""

    kind: FaultKind
    remaining: int
    resource: Resource | None = None
    status: int = 500
    retry_after_s: int = 1
    hang_s: float = 5.0
    callbacks: bool = True  # lost-response: whether the accepted message's callbacks are sent

    def matches(self, resource: str | None) -> bool:
        """Whether this fault applies to a request for `resource`."""
        return self.remaining > 0 and self.resource in (None, resource)


@dataclass
class FaultInjector:
    """The REST API consults this before serving each request."""

    faults: list[Fault] = field(default_factory=list)
    delivery_rules: dict[str, str] = field(default_factory=dict)
    # Messages accepted by a lost-response fault whose status callbacks are lost too.
    silent: set[str] = field(default_factory=set)
    _release: asyncio.Event | None = None
    # Numbers whose messages' status callbacks are lost on the way (never reach the service).
    callbacks_lost_to: set[str] = field(default_factory=set)

    def fail_next(self, n: int = 1, *, status: int = 500, resource: Resource | None = None) -> None:
        """The next `n` requests (to `resource`, or any) answer `status` (a 5xx by default)."""
        self.faults.append(Fault("error", n, resource, status=status))

    def rate_limit_next(
        self, n: int = 1, *, retry_after_s: int = 1, resource: Resource | None = None
    ) -> None:
        """The next `n` requests answer 429 Too Many Requests with a Retry-After header."""
        fault = Fault("rate-limit", n, resource, status=429, retry_after_s=retry_after_s)
        self.faults.append(fault)

    def hang_next(
        self, n: int = 1, *, seconds: float = 5.0, resource: Resource | None = None
    ) -> None:
        """The next `n` requests hang for `seconds` (capped) before failing with a 503."""
        self.faults.append(Fault("hang", n, resource, status=503, hang_s=min(seconds, MAX_HANG_S)))

    def lose_response_next(
        self,
        n: int = 1,
        *,
        seconds: float = 15.0,
        resource: Resource | None = None,
        callbacks: bool = True,
    ) -> None:
        """The next `n` requests are carried out (the message is sent, the call placed), but the
        answer is held for `seconds` (capped) — longer than the client waits, it never arrives.

        With `callbacks=False` the message's status callbacks are lost as well, so the client
        has no way to learn that it was accepted.
        """
        fault = Fault("lost-response", n, resource, hang_s=min(seconds, MAX_HANG_S))
        fault.callbacks = callbacks
        self.faults.append(fault)

    def undeliverable(self, number: str, status: str = "undelivered") -> None:
        """Messages to `number` end `undelivered` or `failed` instead of `delivered`."""
        if status not in DELIVERY_ERROR_CODES:
            raise ValueError(f"status must be one of {sorted(DELIVERY_ERROR_CODES)}")
        self.delivery_rules[number] = status

    def lose_status_callbacks(self, number: str) -> None:
        """Messages to `number` are delivered, but their status callbacks never arrive (as when
        the service did not answer Twilio's request: Twilio does not retry it)."""
        self.callbacks_lost_to.add(number)

    def clear(self) -> None:
        """Disarm every fault and rule, and release requests that are hanging."""
        self.callbacks_lost_to.clear()
        self.faults.clear()
        self.delivery_rules.clear()
        self.silent.clear()
        self.release_hanging()

    def take(self, resource: str | None) -> Fault | None:
        """Use up one matching fault, if any is armed."""
        for fault in self.faults:
            if fault.matches(resource):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    async def hang(self, fault: Fault) -> None:
        """Wait out a hang fault, or until released (so shutdown never waits the full time)."""
        if self._release is None:
            self._release = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._release.wait(), timeout=fault.hang_s)

    def release_hanging(self) -> None:
        """End every hang now."""
        if self._release is not None:
            self._release.set()
            self._release = None

    def delivery_outcome(self, to: str) -> tuple[str, int | None]:
        """The final status of a message to `to`, and its error code."""
        status = self.delivery_rules.get(to)
        if status is None:
            return "delivered", None
        return status, DELIVERY_ERROR_CODES[status]
