"""Listing calls and messages by time, as Twilio's REST API does.

`GET Calls.json?To=…&StartTime>=…` and `GET Messages.json?To=…&DateSent>=…`: the `twilio`
library sends the key `StartTime>` (or `DateSent>`) with an ISO 8601 time, which on the wire reads
`StartTime%3E=2027-01-08T23:00:00Z`, "on or after"; `StartTime<` is "on or before" and a bare
`StartTime` the same day. A date alone (`2027-01-08`) means the start of that day in UTC. Every
page's links carry the same filters, so the library's paging keeps them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import TypeVar

T = TypeVar("T")

FILTERS = ("To", "From", "ParentCallSid", "Status", "StartTime", "DateSent")


class BadTime(ValueError):
    """A time filter that is neither an ISO 8601 date nor a date and time."""


def _moment(raw: str) -> datetime:
    value = raw.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadTime(f"not a date or time: {raw!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def within(
    records: Iterable[T], query: Mapping[str, str], field: str, when: Callable[[T], datetime]
) -> list[T]:
    """The records whose time (`when`) meets the query's `field>`, `field<` and `field` filters."""
    after, before, day = (query.get(field + suffix) for suffix in (">", "<", ""))
    low = _moment(after) if after else None
    high = _moment(before) if before else None
    same_day = _moment(day).date() if day else None
    kept = []
    for record in records:
        moment = when(record).astimezone(UTC)
        if low is not None and moment < low:
            continue
        if high is not None and moment > high:
            continue
        if same_day is not None and moment.date() != same_day:
            continue
        kept.append(record)
    return kept


def filter_query(query: Mapping[str, str]) -> dict[str, str]:
    """The list filters of a request, to carry into its page links."""
    return {key: value for key, value in query.items() if key.rstrip("<>") in FILTERS}
