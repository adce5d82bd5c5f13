"""What the fake Twilio remembers: numbers, messages, calls and their traces."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

API_VERSION = "2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def new_sid(prefix: str) -> str:
    """A Twilio-shaped SID: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


def is_e164(number: str) -> bool:
    """Roughly Twilio's check for a dialable number."""
    return bool(E164.match(number))


def rfc2822(moment: datetime) -> str:
    """Twilio's date format in REST resources (RFC 2822, UTC)."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def now() -> datetime:
    """The wall clock, in UTC (only used for resource timestamps, never for waiting)."""
    return datetime.now(UTC)


@dataclass(slots=True)
class NumberConfig:
    """An incoming number as configured in the Twilio console."""

    number: str
    voice_url: str | None = None
    sms_url: str | None = None
    voice_status_callback: str | None = None
    sid: str = field(default_factory=lambda: new_sid("PN"))


@dataclass(slots=True)
class MessageRecord:
    """One SMS, outbound (REST or TwiML reply) or inbound."""

    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    direction: str  # outbound-api, outbound-reply or inbound
    status: str
    status_callback: str | None = None
    error_code: int | None = None
    history: list[str] = field(default_factory=list)
    created: datetime = field(default_factory=now)
    updated: datetime = field(default_factory=now)

    def set_status(self, status: str) -> None:
        """Move to `status`, remembering the path taken."""
        self.status = status
        self.history.append(status)
        self.updated = now()

    def resource(self) -> dict[str, Any]:
        """The JSON Twilio's REST API returns for this message."""
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": rfc2822(self.created),
            "date_updated": rfc2822(self.updated),
            "date_sent": rfc2822(self.updated) if self.status != "queued" else None,
            "direction": self.direction,
            "error_code": self.error_code,
            "error_message": None,
            "from": self.from_,
            "to": self.to,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": str(max(1, -(-len(self.body) // 160))),
            "price": None,
            "price_unit": "GBP",
            "status": self.status,
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "uri": uri,
        }


@dataclass(slots=True)
class TraceEvent:
    """One step of a call: a verb executed, a webhook sent, what a phone did, or an error."""

    kind: str  # verb, webhook, phone, status, error, note
    leg: str  # the CallSid the step belongs to
    detail: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready view, for the simulator page."""
        return {"kind": self.kind, "leg": self.leg, "detail": self.detail, "data": self.data}


CALL_ENDED = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


@dataclass(slots=True)
class CallRecord:
    """One call leg: inbound, outbound-api (REST) or outbound-dial (a Dial's child leg)."""

    sid: str
    account_sid: str
    to: str
    from_: str
    direction: str
    status: str
    parent_sid: str | None = None
    url: str | None = None
    status_callback: str | None = None
    status_events: tuple[str, ...] = ()
    timeout_s: int = 60
    duration_s: int = 0
    answered_by: str | None = None
    history: list[str] = field(default_factory=list)
    created: datetime = field(default_factory=now)
    updated: datetime = field(default_factory=now)

    def set_status(self, status: str) -> None:
        """Move to `status`, remembering the path taken."""
        self.status = status
        self.history.append(status)
        self.updated = now()

    def resource(self) -> dict[str, Any]:
        """The JSON Twilio's REST API returns for this call."""
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{self.sid}.json"
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "parent_call_sid": self.parent_sid,
            "to": self.to,
            "to_formatted": self.to,
            "from": self.from_,
            "from_formatted": self.from_,
            "direction": self.direction,
            "status": self.status,
            "duration": str(self.duration_s) if self.status == "completed" else None,
            "answered_by": self.answered_by,
            "caller_name": None,
            "date_created": rfc2822(self.created),
            "date_updated": rfc2822(self.updated),
            # As Twilio: set once the call has begun, and once it has ended.
            "start_time": rfc2822(self.created) if self.status != "queued" else None,
            "end_time": rfc2822(self.updated) if self.status in CALL_ENDED else None,
            "forwarded_from": None,
            "group_sid": None,
            "phone_number_sid": None,
            "price": None,
            "price_unit": "GBP",
            "queue_time": "0",
            "trunk_sid": None,
            "subresource_uris": {},
            "uri": uri,
        }


@dataclass(slots=True)
class CallTrace:
    """Everything that happened on one call, in order, across all its legs."""

    call_sid: str
    from_: str
    to: str
    direction: str
    events: list[TraceEvent] = field(default_factory=list)
    final_status: str | None = None
    duration_s: int = 0
    done: bool = False

    def add(self, kind: str, leg: str, detail: str, **data: Any) -> TraceEvent:
        """Append one event and return it."""
        event = TraceEvent(kind, leg, detail, data)
        self.events.append(event)
        return event

    @property
    def errors(self) -> list[TraceEvent]:
        """Application errors: webhooks answered badly, TwiML Twilio could not run."""
        return [e for e in self.events if e.kind == "error"]

    def verbs(self, leg: str | None = None) -> list[str]:
        """Names of the TwiML verbs executed, optionally on one leg only."""
        return [e.detail for e in self.events if e.kind == "verb" and leg in (None, e.leg)]

    def webhooks(self, path_contains: str = "") -> list[TraceEvent]:
        """Webhook events whose URL contains `path_contains`."""
        return [e for e in self.events if e.kind == "webhook" and path_contains in e.detail]

    def said(self) -> list[str]:
        """Every text read out by Say, on any leg."""
        return [str(e.data["text"]) for e in self.events if e.kind == "verb" and "text" in e.data]

    def raise_for_errors(self) -> None:
        """Fail loudly if the call hit an application error (for tests)."""
        if self.errors:
            lines = "; ".join(e.detail for e in self.errors)
            raise AssertionError(f"call {self.call_sid} had application errors: {lines}")

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready view, for the simulator page."""
        return {
            "call_sid": self.call_sid,
            "from": self.from_,
            "to": self.to,
            "direction": self.direction,
            "final_status": self.final_status,
            "duration_s": self.duration_s,
            "done": self.done,
            "errors": len(self.errors),
            "events": [e.as_json() for e in self.events],
        }
