"""What the simulator assumes: traffic rates, phone and reply behaviour, faults (all seeded).

The defaults and the reasoning behind them are in docs/simulator.md; every figure here is a
field of `SimConfig`, so a run can state other assumptions.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# Hours of the night (local), 17:00 to 09:00, with their share of the night's traffic: the
# evening is busiest (after school, pubs, A&E), the small hours quiet, a bump at 07:00-09:00.
HOUR_WEIGHTS: dict[int, float] = {
    17: 1.4, 18: 1.4, 19: 1.3, 20: 1.2, 21: 1.2, 22: 1.1, 23: 1.0, 0: 0.9,
    1: 0.7, 2: 0.5, 3: 0.4, 4: 0.3, 5: 0.3, 6: 0.5, 7: 0.8, 8: 0.9,
}  # fmt: skip
NIGHT_START = time(17, 0)
NIGHT_HOURS = 16


@dataclass(frozen=True, slots=True)
class TrafficRates:
    """Expected contacts per ordinary weeknight, by line and caller kind."""

    police_calls: float = 2.0  # Police HQ control room: custody, child protection at night
    hospital_calls: float = 1.0  # A&E, paediatric ward
    carer_calls: float = 1.5  # registered foster carers
    carer_texts: float = 0.5  # carers texting the foster line
    unverified_calls: float = 0.5  # anyone else who has the number
    weekend_factor: float = 1.5  # Friday and Saturday nights
    bank_holiday_factor: float = 1.5  # the night before a bank holiday


@dataclass(frozen=True, slots=True)
class PhoneOdds:
    """How a staff phone behaves when it rings (drawn per call), and its ring time."""

    accept: float = 0.70
    no_answer: float = 0.12
    busy: float = 0.05
    voicemail: float = 0.06
    decline: float = 0.05
    hang_up_whisper: float = 0.03
    failed: float = 0.02
    ring_s: tuple[int, int] = (3, 25)
    # A caller the unscreened fail-safe ring puts through to a voicemail box leaves a message of
    # this long and hangs up (a person taking the call talks for five minutes).
    message_s: tuple[int, int] = (20, 60)

    def table(self) -> list[tuple[str, float]]:
        return [
            ("accept", self.accept),
            ("no-answer", self.no_answer),
            ("busy", self.busy),
            ("voicemail", self.voicemail),
            ("decline", self.decline),
            ("hang-up-whisper", self.hang_up_whisper),
            ("failed", self.failed),
        ]


@dataclass(frozen=True, slots=True)
class ReplyOdds:
    """What a person does with an alert text (drawn per text), and text delivery."""

    ack: float = 0.75
    mgr: float = 0.05
    never: float = 0.20
    ack_delay_s: tuple[int, int] = (20, 420)  # log-uniform between these
    done_after_ack: float = 0.8
    done_delay_s: tuple[int, int] = (300, 2700)
    # A worker who took a call records its outcome by replying DONE to the after-call text (as
    # the demo's history assumes); the others get the morning's no-outcome reminder.
    outcome_after_call: float = 0.94
    outcome_delay_s: tuple[int, int] = (120, 3600)
    delivered: float = 0.95
    undelivered: float = 0.03
    failed: float = 0.02


FAULT_KINDS = (
    "rest-5xx",  # Twilio's REST API answers 500 to the next requests
    "rest-429",  # ... 429 Too Many Requests with Retry-After
    "rest-timeout",  # a request hangs past the client's timeout, then fails
    "rest-lost-response",  # Twilio does the work but its answer never arrives
    "lost-callbacks",  # a phone's status callbacks never reach the service for a while
    "sender-crash",  # one replica's outbox sender dies mid-pass and stays down for minutes
    "db-hang",  # the database stops answering for seconds, in the middle of a call or callback
    "db-refuse",  # ... drops its connections and refuses new ones (PostgreSQL only)
    "replica-restart",  # a replica is killed mid-pass and a fresh one started
)
DB_HOLD_S = {"db-hang": (1.6, 2.2), "db-refuse": (0.2, 1.2)}  # real seconds (budget: 1.5 s)
# The webhooks a database fault waits for, so that it strikes in the middle of something.
DB_FAULT_AT = ("/voice/incoming", "/voice/screen", "/voice/dial-result", "/sms/incoming",
               "/status/")  # fmt: skip


@dataclass(frozen=True, slots=True)
class SimConfig:
    """One run's assumptions; `seed` makes it reproducible."""

    seed: int = 1
    nights: int = 20
    fault_rate: float = 0.3  # chance per night of each fault kind striking once
    first_night: date = date(2027, 1, 4)
    rates: TrafficRates = field(default_factory=TrafficRates)
    phones: PhoneOdds = field(default_factory=PhoneOdds)
    replies: ReplyOdds = field(default_factory=ReplyOdds)
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    bank_holidays: tuple[date, ...] = ()
    rest_timeout_s: float = 1.0  # the service's Twilio client gives up after this (real time)
    replicas: int = 1  # instances of the app (PostgreSQL only for more than one)


@dataclass(frozen=True, slots=True)
class Arrival:
    """One contact the night will bring: a call or a text to a line."""

    at: datetime
    line: str  # police, hospital, foster
    kind: str  # police, hospital, carer, unverified (the caller kind)
    channel: str  # voice or sms


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """One fault: its kind, when it strikes and for how long (service clock)."""

    kind: str
    at: datetime
    seconds: int
    hold_s: float = 0.0  # database faults: real seconds the database stays away
    during: str = ""  # database faults: the webhook it strikes just before (a path fragment)


def night_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[17:00 on `day`, 09:00 the next morning), local time."""
    start = datetime.combine(day, NIGHT_START, zone)
    end = datetime.combine(day + timedelta(days=1), time(9, 0), zone)
    return start, end


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: fine for the small means of one line in one night.
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def night_factor(day: date, config: SimConfig) -> float:
    """More traffic on Friday and Saturday nights and before bank holidays."""
    factor = config.rates.weekend_factor if day.weekday() in (4, 5) else 1.0
    if day + timedelta(days=1) in config.bank_holidays:
        factor = max(factor, config.rates.bank_holiday_factor)
    return factor


def plan_arrivals(
    rng: random.Random, day: date, zone: ZoneInfo, config: SimConfig
) -> list[Arrival]:
    """The night's contacts: a Poisson count per line and caller kind, spread by HOUR_WEIGHTS."""
    rates, factor = config.rates, night_factor(day, config)
    streams = [
        ("police", "police", "voice", rates.police_calls),
        ("hospital", "hospital", "voice", rates.hospital_calls),
        ("foster", "carer", "voice", rates.carer_calls),
        ("foster", "carer", "sms", rates.carer_texts),
        ("police", "unverified", "voice", rates.unverified_calls / 2),
        ("foster", "unverified", "voice", rates.unverified_calls / 2),
    ]
    start, _end = night_bounds(day, zone)
    hours = [(start + timedelta(hours=h)) for h in range(NIGHT_HOURS)]
    weights = [HOUR_WEIGHTS[h.astimezone(zone).hour] for h in hours]
    arrivals = []
    for line, kind, channel, mean in streams:
        for _ in range(_poisson(rng, mean * factor)):
            hour = rng.choices(hours, weights)[0]
            # Not in the first or last minutes, so every contact falls inside the night.
            at = hour + timedelta(seconds=rng.randint(60, 3540))
            arrivals.append(Arrival(at, line, kind, channel))
    return sorted(arrivals, key=lambda a: a.at)


def plan_faults(
    rng: random.Random, day: date, zone: ZoneInfo, config: SimConfig
) -> list[FaultPlan]:
    """Each fault kind strikes with probability `fault_rate`, at a random time of the night."""
    start, _end = night_bounds(day, zone)
    faults = []
    for kind in config.fault_kinds:
        if rng.random() < config.fault_rate:
            at = start + timedelta(seconds=rng.randint(0, NIGHT_HOURS * 3600 - 3600))
            # A hung or lost request costs the client its timeout in real time: shorter windows.
            slow = kind in ("rest-timeout", "rest-lost-response")
            seconds = rng.randint(60, 300) if slow else rng.randint(120, 900)
            hold, during = 0.0, ""
            if kind in DB_HOLD_S:
                hold, during = round(rng.uniform(*DB_HOLD_S[kind]), 2), rng.choice(DB_FAULT_AT)
            faults.append(FaultPlan(kind, at, seconds, hold, during))
    return sorted(faults, key=lambda f: f.at)


def draw(rng: random.Random, table: list[tuple[str, float]]) -> str:
    """One outcome from (name, weight) pairs."""
    return rng.choices([name for name, _ in table], [w for _, w in table])[0]


def log_uniform(rng: random.Random, bounds: tuple[int, int]) -> int:
    """A delay between `bounds`, short ones likelier (people mostly answer fast)."""
    low, high = bounds
    return round(math.exp(rng.uniform(math.log(low), math.log(high))))


def _section(cls: Any, raw: Any, name: str) -> Any:
    if raw is None:
        return cls()
    if not isinstance(raw, dict):
        raise ValueError(f"{name}: expected an object")
    known = {f.name: f for f in fields(cls)}
    for key, value in raw.items():
        if key not in known:
            raise ValueError(f"{name}.{key}: unknown (known: {', '.join(known)})")
        if isinstance(value, list):
            raw = {**raw, key: tuple(value)}
        elif not isinstance(value, int | float) or value < 0:
            raise ValueError(f"{name}.{key}: expected a number of at least 0")
    return cls(**raw)


def config_from_json(
    raw: Any, *, seed: int, nights: int, fault_rate: float, replicas: int = 1
) -> SimConfig:
    """A SimConfig from a JSON document (docs/simulator.md, "Changing the assumptions")."""
    if not isinstance(raw, dict):
        raise ValueError("the configuration must be a JSON object")
    allowed = {"rates", "phones", "replies", "first_night", "bank_holidays", "fault_kinds"}
    for key in raw:
        if key not in allowed:
            raise ValueError(f"{key}: unknown (known: {', '.join(sorted(allowed))})")
    kinds = tuple(raw.get("fault_kinds", FAULT_KINDS))
    if any(kind not in FAULT_KINDS for kind in kinds):
        raise ValueError(f"fault_kinds: each one of {', '.join(FAULT_KINDS)}")
    try:
        first = date.fromisoformat(raw.get("first_night", "2027-01-04"))
        holidays = tuple(date.fromisoformat(d) for d in raw.get("bank_holidays", []))
    except (TypeError, ValueError):
        raise ValueError("first_night and bank_holidays: dates as YYYY-MM-DD") from None
    return SimConfig(
        seed=seed,
        nights=nights,
        fault_rate=fault_rate,
        first_night=first,
        rates=_section(TrafficRates, raw.get("rates"), "rates"),
        phones=_section(PhoneOdds, raw.get("phones"), "phones"),
        replies=_section(ReplyOdds, raw.get("replies"), "replies"),
        fault_kinds=kinds,
        bank_holidays=holidays,
        replicas=replicas,
    )
