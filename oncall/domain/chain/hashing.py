"""How an event is hashed: the canonical JSON, the details digest and the link to the one before."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


# Exactly json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False), with the
# encoder built once: verifying a million events calls it two million times.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """The one encoding that is hashed: sorted keys, no spaces, UTF-8 text as is."""
    return _CANONICAL.encode(value)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _instant(at: datetime) -> str:
    """2027-01-08T23:00:00.000000Z (the same text as strftime("%Y-%m-%dT%H:%M:%S.%fZ"), faster)."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def details_digest(details: Mapping[str, Any]) -> str:
    return _sha256(canonical_json(dict(details)))


def event_hash(
    *,
    seq: int,
    occurred_at: datetime,
    contact_id: int | None,
    kind: str,
    actor_type: str,
    actor: str,
    digest: str,
    prev_hash: str,
) -> str:
    """SHA-256 of the event's canonical encoding, details by digest, linked to the previous hash."""
    record = {
        "seq": seq,
        "at": _instant(occurred_at),
        "contact": contact_id,
        "kind": kind,
        "actor_type": actor_type,
        "actor": actor,
        "details": digest,
        "prev": prev_hash,
    }
    return _sha256(canonical_json(record))


def is_redacted(details: Mapping[str, Any]) -> bool:
    return bool(details.get("redacted"))
