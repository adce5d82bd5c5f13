"""The hash chain: every event appended in its transaction and sealed at commit (`append`), how an
event is hashed (`hashing`), and the walk that proves nothing was altered or removed (`verify`).

It owns the `events` table's writes and the chain head; reading the log for managers is `audit`.
"""

from oncall.domain.chain.append import (
    PendingEvent,
    append_event,
    lock_chain,
    logged_before,
    pending_events,
)
from oncall.domain.chain.hashing import (
    GENESIS_HASH,
    canonical_json,
    details_digest,
    event_hash,
    is_redacted,
)
from oncall.domain.chain.kinds import EventKind
from oncall.domain.chain.verify import ChainBreak, ChainReport, verify_chain, verify_chain_at

__all__ = [
    "GENESIS_HASH",
    "ChainBreak",
    "ChainReport",
    "EventKind",
    "PendingEvent",
    "append_event",
    "canonical_json",
    "details_digest",
    "event_hash",
    "is_redacted",
    "lock_chain",
    "logged_before",
    "pending_events",
    "verify_chain",
    "verify_chain_at",
]
