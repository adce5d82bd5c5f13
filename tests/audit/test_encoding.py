"""The hashed encodings must never change: events hashed years ago have to verify today."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from oncall.domain.chain.hashing import _instant, canonical_json, event_hash

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(JSON)
def test_canonical_json_is_json_dumps_sorted_compact_unescaped(value: object) -> None:
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical_json(value) == expected


@given(st.integers(min_value=0, max_value=7_000_000_000), st.integers(0, 999_999))
def test_instants_are_utc_with_microseconds(seconds: int, micro: int) -> None:
    at = datetime.fromtimestamp(seconds, timezone(timedelta(hours=1))).replace(microsecond=micro)
    assert _instant(at) == at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_known_event_keeps_its_hash() -> None:
    """Pinned: if this changes, every stored chain stops verifying."""
    digest = event_hash(
        seq=1, occurred_at=datetime(2027, 1, 8, 23, 0, tzinfo=UTC), contact_id=7,
        kind="call.received", actor_type="caller", actor="police", digest="d" * 64,
        prev_hash="0" * 64,
    )  # fmt: skip
    assert digest == PINNED


PINNED = "6b3383e0f9bcb41019b69cdd3fde9913f8e78cbe432509bd810d61cac40edb3b"
