"""The one iCalendar (RFC 5545) writer, on the `icalendar` library: rota shifts as events in UTC."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vDuration, vText

PRODUCT_ID = "-//oncall//out-of-hours rota//EN"
TIER_WORDS = {"worker": "first tier", "manager": "senior manager"}


@dataclass(frozen=True, slots=True)
class ShiftEvent:
    """One person's place on one shift, as a calendar shows it."""

    shift_key: str
    person_code: str
    start: datetime
    end: datetime
    summary: str
    description: str
    tentative: bool = False  # a draft's shifts may still change
    sequence: int | None = None  # the version number, so a newer version wins

    @property
    def uid(self) -> str:
        # The same in every version and in both the export and the feed, so a calendar that
        # imports or subscribes again moves an event instead of duplicating it.
        return f"{self.shift_key}.{self.person_code}@oncall.rota"


def tier_words(tier: str) -> str:
    return TIER_WORDS.get(tier, tier)


def local_span(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """ "Mon 04 Jan 17:00 to Tue 05 Jan 09:00 (Europe/Jersey)": the times a reader lives by."""
    return (
        f"{start.astimezone(zone):%a %d %b %H:%M} to {end.astimezone(zone):%a %d %b %H:%M} "
        f"({zone.key})"
    )


def calendar_document(
    name: str,
    events: Iterable[ShiftEvent],
    *,
    stamp: datetime,
    refresh: timedelta | None = None,
) -> str:
    """A VCALENDAR of `events` (times in UTC, lines folded by the library), stamped `stamp`.

    With `refresh`, subscribed calendars are asked to fetch it again that often.
    """
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # An X- property has no known type, so the name is escaped as TEXT explicitly.
    calendar.add("x-wr-calname", vText(name))
    if refresh is not None:
        # RFC 7986's property, and the older one Outlook reads.
        calendar.add("refresh-interval", vDuration(refresh), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(refresh))
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp.astimezone(UTC))
        event.add("dtstart", item.start.astimezone(UTC))
        event.add("dtend", item.end.astimezone(UTC))
        if item.sequence is not None:
            event.add("sequence", item.sequence)
        event.add("status", "TENTATIVE" if item.tentative else "CONFIRMED")
        event.add("summary", item.summary)
        event.add("description", item.description)
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    document: bytes = calendar.to_ical()
    return document.decode("utf-8")
