"""The simulator's ground truth: what it made happen, seen from the phones' side only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class ContactTruth:
    """One contact the simulator placed: when, where, and who (by the phones) took it."""

    night: int
    sid: str  # the CallSid or MessageSid the fake Twilio gave it
    at: datetime  # the service clock when it arrived
    line: str
    kind: str  # police, hospital, carer, unverified
    channel: str  # voice or sms
    faults: tuple[str, ...] = ()  # fault kinds active when it arrived
    accepted_by: str | None = None  # the phone that pressed 1 and was connected
    accepted_after_s: float | None = None  # ring (and whisper) time until that moment
    duration_s: int = 0  # the call as the caller lived it
    ref: str | None = None  # the service's short reference, from its record of the sid
    ack_at: datetime | None = None  # earliest ACK/MGR reply or accepted alert call for `ref`
    ack_by: str | None = None

    @property
    def reached(self) -> bool:
        return self.accepted_by is not None or self.ack_at is not None

    @property
    def time_to_human_s(self) -> float | None:
        """From the call's start to an accepting human (service clock, ring time included).

        A call's webhooks reach the service at their moments of the call (oncall/sim/pace.py),
        so a call that went to an alert is the wait from its arrival to the acknowledgement on
        the service's clock, the call's own length in it.
        """
        if self.accepted_after_s is not None:
            return self.accepted_after_s
        if self.ack_at is None:
            return None
        return (self.ack_at - self.at).total_seconds()


@dataclass
class NightTruth:
    """Everything one night brought, and the faults struck."""

    night: int
    start: datetime
    end: datetime
    contacts: list[ContactTruth] = field(default_factory=list)
    faults: list[tuple[str, datetime, datetime]] = field(default_factory=list)
    # ref -> [(when, phone code, how)] of every acknowledging act by a paged person
    acks: dict[str, list[tuple[datetime, str, str]]] = field(default_factory=dict)
    replies_sent: int = 0
    alert_calls: int = 0
    overlapping_calls: int = 0  # calls that arrived while another was still going
    failed_passes: int = 0  # passes that failed (the database away, a replica killed)
    # (ref, when) of acknowledging replies the service answered with its apology (not taken)
    unheard: set[tuple[str, datetime]] = field(default_factory=set)

    def record_ack(self, ref: str, at: datetime, by: str, how: str) -> None:
        self.acks.setdefault(ref, []).append((at, by, how))
