"""Signed, short-lived outcome links for SMS: contact and person ids, never a child's details."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from oncall.domain.errors import NotFound

OUTCOME_PATH = "/o/"  # short: the link shares a text with a reference and a call-back number
LONG_OUTCOME_PATH = "/outcome/"  # serves the same page
_TAG_BYTES = 10  # an 80-bit HMAC tag: a guess per request, and the link dies within hours


class BadLink(NotFound):
    """The link was altered, is malformed, or has expired (`expired` says which)."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True, slots=True)
class OutcomeGrant:
    """What a valid link lets its holder do: record the outcome of one contact as one person."""

    contact_id: int
    person_id: int
    expires_at: datetime


def _key(secret: bytes) -> bytes:
    # A key of its own, so an outcome token can never pass as a session cookie or CSRF token.
    return hmac.new(secret, b"oncall outcome link v2", hashlib.sha256).digest()


def _tag(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(_key(secret), payload, hashlib.sha256).digest()[:_TAG_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _varint(value: int) -> bytes:
    if value < 0:
        raise ValueError("ids and times in a link are never negative")
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _read_varints(data: bytes) -> list[int]:
    values, current, shift = [], 0, 0
    for byte in data:
        current |= (byte & 0x7F) << shift
        shift += 7
        if shift > 63:
            raise ValueError("number too long")
        if not byte & 0x80:
            values.append(current)
            current, shift = 0, 0
    if shift:
        raise ValueError("truncated number")
    return values


def outcome_token(secret: bytes, contact_id: int, person_id: int, expires_at: datetime) -> str:
    """About 26 URL-safe characters: contact, person and expiry (whole seconds), then the tag."""
    payload = _varint(contact_id) + _varint(person_id) + _varint(int(expires_at.timestamp()))
    return _b64(payload + _tag(secret, payload))


def outcome_link(
    secret: bytes, public_url: str, contact_id: int, person_id: int, expires_at: datetime
) -> str:
    """The URL of the mobile outcome page for `person_id` to record `contact_id`'s outcome.

    `secret` is the app's signing key (`app[oncall.keys.SIGNING_KEY]`), `public_url` the setting
    ONCALL_PUBLIC_URL. The link carries only the two ids and the expiry, signed (HMAC-SHA256).
    """
    token = outcome_token(secret, contact_id, person_id, expires_at)
    return f"{public_url.rstrip('/')}{OUTCOME_PATH}{token}"


def read_outcome_token(secret: bytes, token: str, *, now: datetime) -> OutcomeGrant:
    """The grant in a token; raises BadLink if it was altered, is malformed or has expired."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        if _b64(raw) != token:  # one spelling per token: no slack in the padding bits
            raise ValueError("not canonical")
        payload, tag = raw[:-_TAG_BYTES], raw[-_TAG_BYTES:]
        if len(tag) != _TAG_BYTES or not hmac.compare_digest(_tag(secret, payload), tag):
            raise ValueError("bad tag")
        contact_id, person_id, expiry = _read_varints(payload)
        grant = OutcomeGrant(contact_id, person_id, datetime.fromtimestamp(expiry, UTC))
    except (ValueError, binascii.Error, OverflowError, OSError):
        raise BadLink("this link is not valid") from None
    if now >= grant.expires_at:
        raise BadLink("this link has expired", expired=True)
    return grant


@dataclass(frozen=True, slots=True)
class OutcomeLinks:
    """What the service needs to put an outcome link in a text: its key, its address, the TTL."""

    secret: bytes
    public_url: str
    lifetime: timedelta

    def url(self, contact_id: int, person_id: int, *, now: datetime) -> str:
        """A link for `person_id` to record `contact_id`'s outcome, valid for `lifetime`."""
        return outcome_link(
            self.secret, self.public_url, contact_id, person_id, now + self.lifetime
        )
