"""The provider's records on the service's clock: the fake Twilio stamps its calls and texts in
real time, the service's clock jumps ahead of it; the provider recovery takes only records a
minute old (in real time) and moves their times onto the service's clock by its offset from real
time. So after every move of the clock each record is stamped again, as old in real time as it
is on the clock: the recovery then reads back the clock instant it happened at, to the second
(the REST API's times are whole seconds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from integrations.fake_twilio import FakeTwilio
from integrations.fake_twilio.state import CallRecord, MessageRecord


@dataclass
class ProviderTimes:
    """When, on the service's clock, each record of the fake was made and last changed."""

    made: dict[str, datetime] = field(default_factory=dict)
    changed: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)  # sid: (clock, set)

    def restamp(self, fake: FakeTwilio, *, was: datetime, now: datetime) -> None:
        """The clock moved from `was` to `now`: stamp every record as old in real time as it is
        on the clock. A record made or changed since the last stamping was made or changed at
        `was` (the clock stands still while the simulator works at an instant)."""
        real = datetime.now(UTC)
        records: list[CallRecord | MessageRecord] = [*fake.calls.values(), *fake.messages.values()]
        for record in records:
            made = self.made.setdefault(record.sid, was)
            at, stamped = self.changed.get(record.sid, (was, record.updated))
            if record.updated != stamped:  # the fake changed it since
                at = was
            record.created = real - (now - made)
            record.updated = real - (now - at)
            self.changed[record.sid] = (at, record.updated)

    def forget(self) -> None:
        self.made.clear()
        self.changed.clear()
