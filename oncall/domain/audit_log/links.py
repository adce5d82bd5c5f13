"""Signed, short-lived outcome links for SMS: contact and person ids, never a child's details."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

OUTCOME_PATH = "/outcome/"


class BadLink(ValueError):
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
    return hmac.new(secret, b"oncall outcome link v1", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def outcome_token(secret: bytes, contact_id: int, person_id: int, expires_at: datetime) -> str:
    payload = json.dumps(
        {"c": contact_id, "p": person_id, "e": int(expires_at.timestamp())}, separators=(",", ":")
    ).encode()
    signature = hmac.new(_key(secret), payload, hashlib.sha256).digest()[:16]
    return f"{_b64(payload)}.{_b64(signature)}"


def outcome_link(
    secret: bytes, public_url: str, contact_id: int, person_id: int, expires_at: datetime
) -> str:
    """The URL of the mobile outcome page for `person_id` to record `contact_id`'s outcome.

    `secret` is the app's signing key (`app[oncall.web.auth.SECRET]`), `public_url` the setting
    ONCALL_PUBLIC_URL. The link carries only the two ids and the expiry, signed (HMAC-SHA256).
    """
    token = outcome_token(secret, contact_id, person_id, expires_at)
    return f"{public_url.rstrip('/')}{OUTCOME_PATH}{token}"


def read_outcome_token(secret: bytes, token: str, *, now: datetime) -> OutcomeGrant:
    """The grant in a token; raises BadLink if it was altered, is malformed or has expired."""
    try:
        encoded, signature = token.split(".", 1)
        payload = _unb64(encoded)
        expected = hmac.new(_key(secret), payload, hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(expected, _unb64(signature)):
            raise BadLink("this link is not valid")
        data = json.loads(payload)
        grant = OutcomeGrant(
            int(data["c"]), int(data["p"]), datetime.fromtimestamp(int(data["e"]), UTC)
        )
    except (ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, BadLink):
            raise
        raise BadLink("this link is not valid") from None
    if now >= grant.expires_at:
        raise BadLink("this link has expired", expired=True)
    return grant
