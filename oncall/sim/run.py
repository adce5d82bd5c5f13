"""Night after night: place the contacts, play the phones, strike the faults, move the clock,
run the escalation passes, and check the invariants when each night is over."""

from __future__ import annotations

import asyncio
import heapq
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from integrations.fake_twilio import messaging
from integrations.fake_twilio.phones import PhoneBehaviour
from oncall.clock import ManualClock
from oncall.db.models import (
    Alert,
    AlertStatus,
    Channel,
    Contact,
    Event,
    OutboundMessage,
    OutboxStatus,
)
from oncall.domain.calls.reconcile import failsafe_given_to_contact, failsafe_wait
from oncall.sim.checks import NightCheck, check_night
from oncall.sim.model import (
    Arrival,
    FaultPlan,
    SimConfig,
    draw,
    log_uniform,
    night_bounds,
    plan_arrivals,
    plan_faults,
)
from oncall.sim.pace import CallPace
from oncall.sim.service import OUTAGE_SECONDS, Service, running_service
from oncall.sim.stamps import ProviderTimes
from oncall.sim.strike import Strikes
from oncall.sim.truth import ContactTruth, NightTruth
from oncall.sim.world import Directory, prepare_database, publish_nights, read_directory

ZONE = ZoneInfo("Europe/Jersey")
ACK_REF = re.compile(r"Reply ACK (\d{4})")
CALL_ENDED = re.compile(r"OOH-(\d{4}) call ended \d\d:\d\d\. Record the outcome")
# The morning's no-outcome alert (its summary in oncall/domain/escalation/alerts.py): owning it
# is about recording what was done, not about reaching the caller.
NO_OUTCOME_WHAT = "no outcome recorded"
SPOKEN_REF = re.compile(r"reference (\d \d \d \d)\.")
MIN_STEP = timedelta(seconds=5)
APOLOGY = "Sorry, the out-of-hours service could not process your text"
DAY = timedelta(days=1)
SETTLE_S = 0.5  # real time for background passes to finish before a night is called over
SENDER_CRASH_AFTER_S = 0.002  # real time into a sender pass before it is killed
KILL_AFTER_S = (0.0, 0.02)  # real time into a pass before its replica is killed
RECOVERY_AFTER = (timedelta(minutes=6),)  # the periodic provider recovery's (every 5 minutes)
OUTAGE_JOB = "recovery after an outage"  # the runner's job (its loop is off here)
# A phone that takes the call as a person (a voicemail or an instant hang-up does not).
HUMAN = (PhoneBehaviour.ACCEPT, PhoneBehaviour.HANG_UP_WHISPER)
TALK = re.compile(r"connected for (\d+)s")  # the fake's trace of a bridge


@dataclass
class SimResult:
    """A run's nights, their truth and their checks."""

    config: SimConfig
    database: str
    nights: list[NightTruth] = field(default_factory=list)
    checks: list[NightCheck] = field(default_factory=list)
    wall_s: float = 0.0
    webhooks: int = 0
    restarts: int = 0  # replicas killed and started afresh
    # The service's round trips to PostgreSQL (through the link: every replica's, the passes
    # the simulator runs included, its own reads not); None on SQLite.
    db_round_trips: int | None = None

    @property
    def failures(self) -> list[str]:
        return [f for check in self.checks for f in check.failures]


@dataclass(order=True)
class _Event:
    at: datetime
    seq: int
    action: Callable[[], Any] = field(compare=False)


class _Night:
    """One night's driver: an event queue on the service clock."""

    def __init__(
        self,
        sim: Service,
        directory: Directory,
        config: SimConfig,
        rng: random.Random,
        truth: NightTruth,
        on_duty: tuple[str, ...],
        turns: random.Random,
    ) -> None:
        self.sim, self.directory, self.config, self.rng = sim, directory, config, rng
        self.truth, self.on_duty, self.turns = truth, on_duty, turns
        self.queue: list[_Event] = []
        self.seq = 0
        self.strikes = Strikes(sim, rng, truth, config.rest_timeout_s, self.after_database_fault)
        self.check_due: datetime | None = None  # the call check's next open call
        self.stamps = ProviderTimes()
        self.inbox_seen: dict[str, int] = {}
        self.calls_seen: set[str] = set()
        self.codes = directory.staff  # phone -> code
        self.phones = {code: phone for phone, code in directory.staff.items()}
        # Each inbound call's webhooks at their moment on the clock (oncall/sim/pace.py).
        self.pace = CallPace(sim.clock)
        sim.fake.pace = self.pace

    def at(self, when: datetime, action: Callable[[], Any]) -> None:
        self.seq += 1
        heapq.heappush(self.queue, _Event(when, self.seq, action))

    # Phones ------------------------------------------------------------------------------

    def draw_phones(self) -> None:
        """Each staff phone's behaviour for the next call or pass, and its texts' fate."""
        odds, replies = self.config.phones, self.config.replies
        table = odds.table()
        delivery = [
            ("delivered", replies.delivered),
            ("undelivered", replies.undelivered),
            ("failed", replies.failed),
        ]
        faults = self.sim.fake.faults
        talking = self.talking()
        for phone in self.directory.staff:
            behaviour = draw(self.rng, table)
            if phone in talking:  # on another call: busy to this one
                behaviour = PhoneBehaviour.BUSY
            ring = self.rng.randint(*odds.ring_s)
            talk = 300
            if behaviour == PhoneBehaviour.VOICEMAIL:
                talk = self.rng.randint(*odds.message_s)
            self.sim.fake.phones.set(phone, PhoneBehaviour(behaviour), ring_s=ring, talk_s=talk)
            fate = draw(self.rng, delivery)
            if fate == "delivered":
                faults.delivery_rules.pop(phone, None)
            else:
                faults.undeliverable(phone, fate)

    def talking(self) -> set[str]:
        """Staff phones put through to a caller whose call is still going at this moment."""
        now, fake, phones = self.sim.clock.now(), self.sim.fake, set()
        for sid, start in self.pace.starts.items():
            trace = fake.traces.get(sid)
            if trace is None or trace.done:
                continue
            for event in trace.events:
                if event.kind != "phone" or not event.data.get("bridged"):
                    continue
                talk = TALK.search(event.detail)
                begin = start + timedelta(seconds=float(event.data.get("at_s", 0)))
                end = begin + timedelta(seconds=int(talk.group(1)) if talk else 0)
                leg = fake.calls.get(event.leg)
                if leg is not None and begin <= now < end:
                    phones.add(leg.to)
        return phones

    # Contacts ----------------------------------------------------------------------------

    async def arrive(self, arrival: Arrival) -> None:
        fake, t = self.sim.fake, self.sim.clock.now()
        numbers = self.directory.callers.get(arrival.kind) or self.directory.callers["unverified"]
        caller = self.rng.choice(numbers)
        to = self.directory.lines[arrival.line]
        record = ContactTruth(
            night=self.truth.night, sid="", at=t, line=arrival.line, kind=arrival.kind,
            channel=arrival.channel,
        )  # fmt: skip
        if arrival.channel == "sms":
            inbound, _replies = await messaging.receive(
                fake, from_=caller, to=to, body="Please call me back about the placement."
            )
            record.sid = inbound.sid
        else:
            if self.pace.in_flight:
                self.truth.overlapping_calls += 1  # another call is still going
            self.draw_phones()
            # In flight from now: its webhooks come at their moments as the clock moves on.
            self.pace.start(self.call(record, caller, to))
        self.truth.contacts.append(record)

    async def call(self, record: ContactTruth, caller: str, to: str) -> None:
        fake = self.sim.fake
        trace = await fake.place_inbound_call(from_=caller, to=to)
        record.sid, record.duration_s = trace.call_sid, trace.duration_s
        # How each phone picked up, as the fake played it (the phones' scripts are drawn again
        # before each pass, which may have run while the call went on).
        picked_up = {
            e.leg: e.detail.rsplit("(", 1)[-1].rstrip(")")
            for e in trace.events
            if e.kind == "phone" and " answered (" in e.detail
        }
        for event in trace.events:
            if event.kind == "phone" and event.data.get("bridged"):
                leg = fake.calls.get(event.leg)
                phone = leg.to if leg is not None else ""
                human = picked_up.get(event.leg) in HUMAN
                if phone in self.codes and "at_s" in event.data and human:
                    record.accepted_by = self.codes[phone]
                    record.accepted_after_s = float(event.data["at_s"])
                    break

    async def reply(self, phone: str, to: str, body: str, ref: str | None, how: str) -> None:
        t = self.sim.clock.now()
        _inbound, answers = await messaging.receive(self.sim.fake, from_=phone, to=to, body=body)
        self.truth.replies_sent += 1
        if ref is not None and how in ("ack", "mgr"):
            self.truth.record_ack(ref, t, self.codes[phone], how)
            if any(a.body.startswith(APOLOGY) for a in answers):
                # The service could not take it (its database away): the provider recovery
                # finds it later, its time from the provider's records (whole seconds).
                self.truth.unheard.add((ref, t))

    def read_inboxes(self) -> None:
        """New texts on staff phones: each person decides what to do about each alert."""
        replies, t = self.config.replies, self.sim.clock.now()
        for phone, inbox in self.sim.fake.phones.inboxes.items():
            if phone not in self.codes:
                continue
            seen = self.inbox_seen.get(phone, 0)
            for message in inbox[seen:]:
                self._decide(phone, message.from_, message.body, t, replies)
            self.inbox_seen[phone] = len(inbox)

    def _decide(self, phone: str, line: str, body: str, t: datetime, odds: Any) -> None:
        found = ACK_REF.search(body)
        ended = CALL_ENDED.search(body)
        if ended is not None:
            # The call this person took has ended: most record its outcome (DONE by text).
            if self.rng.random() < odds.outcome_after_call:
                ref = ended.group(1)
                when = t + timedelta(seconds=log_uniform(self.rng, odds.outcome_delay_s))
                note = f"DONE {ref} advice given on the phone"
                self.at(when, lambda: self.reply(phone, line, note, None, "done"))
        elif found is not None:
            ref = found.group(1)
            # Owning a no-outcome alert is not reaching the caller (invariant 1).
            acked = ref if NO_OUTCOME_WHAT not in body else None
            # MGR asks the senior manager to call: only workers send it, managers acknowledge.
            mgr = odds.mgr if self.codes[phone] in self.directory.workers else 0.0
            choice = draw(self.rng, [("ack", odds.ack + odds.mgr - mgr), ("mgr", mgr),
                                     ("never", odds.never)])  # fmt: skip
            if choice == "never":
                return
            when = t + timedelta(seconds=log_uniform(self.rng, odds.ack_delay_s))
            verb = "ACK" if choice == "ack" else "MGR"
            self.at(when, lambda: self.reply(phone, line, f"{verb} {ref}", acked, choice))
            if choice == "ack" and self.rng.random() < odds.done_after_ack:
                later = when + timedelta(seconds=log_uniform(self.rng, odds.done_delay_s))
                note = f"DONE {ref} advice given, no visit needed"
                self.at(later, lambda: self.reply(phone, line, note, ref, "done"))
        elif "Reply YES" in body:
            self.at(t + timedelta(seconds=60), lambda: self.reply(phone, line, "YES", None, "yes"))

    def read_alert_calls(self) -> None:
        """Alert calls the sender placed: an answering phone that pressed 1 acknowledged."""
        fake, t = self.sim.fake, self.sim.clock.now()
        for sid, trace in list(fake.traces.items()):
            if sid in self.calls_seen or trace.direction != "outbound-api" or not trace.done:
                continue
            self.calls_seen.add(sid)
            self.truth.alert_calls += 1
            accepted = any(
                e.kind == "phone" and e.detail.endswith("answered (accept)") for e in trace.events
            )
            spoken = SPOKEN_REF.search(" ".join(trace.said()))
            if accepted and spoken is not None and trace.to in self.codes:
                ref = spoken.group(1).replace(" ", "")
                self.truth.record_ack(ref, t, self.codes[trace.to], "call")

    # Faults ------------------------------------------------------------------------------

    def strike(self, fault: FaultPlan) -> None:
        phone = self.phones[self.rng.choice(self.on_duty)] if fault.kind == "lost-callbacks" else ""
        window_end = self.strikes.strike(fault, phone)
        faults = self.sim.fake.faults
        if window_end is not None and fault.kind == "lost-callbacks":
            self.at(window_end, lambda: faults.callbacks_lost_to.discard(phone))
        elif window_end is not None:
            self.at(window_end, lambda: self.strikes.rearm(fault))
        if fault.kind == "sender-crash":
            self.strikes.crashed_replica = self.pick()

    def after_database_fault(self, now: datetime) -> None:
        # The provider recovery (every 5 minutes in the service) finds what never reached it:
        # the simulator runs its passes after a database fault, where it has work.
        for after in RECOVERY_AFTER:
            self.at(now + after, self.recover)

    async def recover(self) -> None:
        await self.run_pass("provider recovery", self.sim.clock.now())

    # The clock ---------------------------------------------------------------------------

    async def next_due(self) -> datetime | None:
        """The service's own next timer: an alert's next step, an outbox row's attempt, the
        call check's next open call; or at once, while a replica holds fail-safe answers that
        its database has not taken yet."""
        now, after = self.sim.clock.now(), timedelta(seconds=self.sim.settings.call_check_seconds)
        async with self.sim.database.sessions() as session:
            # Both timers in one statement (it runs at every instant of the night).
            timers = select(
                select(func.min(Alert.next_action_at))
                .where(Alert.status == AlertStatus.OPEN)
                .scalar_subquery(),
                select(func.min(OutboundMessage.next_attempt_at))
                .where(OutboundMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
                .scalar_subquery(),
            )
            alert, row = (await session.execute(timers)).one()
            # Voice contacts left open (a step given the fail-safe, a callback lost): the call
            # check asks the provider about each `after` its last event (sooner for a call
            # given the fail-safe: failsafe_wait). One it cannot settle stops driving the clock
            # a check later.
            failsafe = failsafe_given_to_contact()
            last = (
                select(func.max(Event.occurred_at).label("last"), failsafe.label("failsafe"))
                .join(Contact, Event.contact_id == Contact.id)
                .where(
                    Contact.channel == Channel.VOICE,
                    Contact.ended_at.is_(None),
                    Contact.provider_sid.is_not(None),
                    Contact.received_at >= self.truth.start,
                )
                .group_by(Contact.id)
                .subquery()
            )
            open_calls = (
                await session.execute(
                    select(last.c.last, last.c.failsafe).where(last.c.last > now - 2 * after)
                )
            ).all()
        dues = [_aware(at) + (failsafe_wait(after) if fs else after) for at, fs in open_calls]
        self.check_due = min(dues, default=None)
        found = [_aware(x) for x in (alert, self.check_due) if x is not None]
        # While the only replica's sender is down, nothing is sent before it is back.
        crashed = self.strikes.crashed_until if len(self.sim.replicas) == 1 else None
        if row is not None:
            found.append(crashed if crashed is not None else _aware(row))
        if self.sim.failsafes_pending():
            found.append(now + MIN_STEP)
        found += [due for _index, due in self.sim.recovery_owed(now)]
        return min(found) if found else None

    def pick(self) -> int:
        """Which replica runs the next pass (either, by turns of a generator of their own)."""
        replicas = len(self.sim.replicas)
        return self.turns.randrange(replicas) if replicas > 1 else 0

    async def run_pass(self, job: str, t: datetime, index: int | None = None) -> None:
        """One pass of `job` on a replica; a pass that fails (the database away) is logged by
        the runner and retried when next due, as the runner's loop does."""
        task = self.sim.start_pass(self.pick() if index is None else index, job, t)
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not task.cancelled() or (current is not None and current.cancelling()):
                raise
            self.truth.failed_passes += 1  # its replica was killed under it
        except Exception:
            self.truth.failed_passes += 1

    async def passes(self) -> None:
        t, strikes = self.sim.clock.now(), self.strikes
        await self.run_pass("escalation scheduler", t)
        if strikes.crashed_until is not None and t >= strikes.crashed_until:
            strikes.crashed_until = None
        self.draw_phones()
        strikes.arm_rest_faults()
        if strikes.kill_pending:
            strikes.kill_pending = False
            await self._killing_pass(t)
        elif strikes.crashed_until is None:
            await self.run_pass("outbox sender", t)
        else:
            await self._crashing_sender(t)
            others = [i for i in range(len(self.sim.replicas)) if i != strikes.crashed_replica]
            if others:  # the other replicas' senders go on (each replica runs its own)
                await self.run_pass("outbox sender", t, self.turns.choice(others))
        await self.run_pass("fail-safe records", t)
        # A replica that saw the database fail runs a provider recovery pass as soon as it
        # answers again (its runner's "recovery after an outage" job, every 2 s), then a minute
        # later: texts and calls that never reached it are found then, not at the next periodic
        # recovery.
        for index, due in self.sim.recovery_owed(t):
            if due <= t + timedelta(seconds=OUTAGE_SECONDS):
                await self.run_pass(OUTAGE_JOB, t, index)
        if self.check_due is not None and t >= self.check_due:
            await self.run_pass("call check", t)
        await self.sim.fake.settle(limit_s=60)

    async def _crashing_sender(self, t: datetime) -> None:
        # The struck replica's sender dies part-way through each pass while the fault lasts
        # (it keeps crashing): the task is cancelled wherever it is.
        task = self.sim.start_pass(self.strikes.crashed_replica, "outbox sender", t)
        await asyncio.sleep(SENDER_CRASH_AFTER_S)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def _killing_pass(self, t: datetime) -> None:
        # A replica is killed part-way through its sender pass (and whatever else it is doing:
        # webhooks half answered, fail-safe answers not yet written), then started afresh.
        index = self.pick()
        task = self.sim.start_pass(index, "outbox sender", t)
        await asyncio.sleep(self.turns.uniform(*KILL_AFTER_S))
        await self.sim.kill(index)
        await asyncio.gather(task, return_exceptions=True)
        # The fresh replica's runner starts with a provider recovery pass (its loop is off
        # here): the texts and calls whose webhooks the killed one never answered are found now.
        await self.run_pass("provider recovery", t, index)

    async def run(self, horizon: datetime) -> None:
        clock, now = self.sim.clock, self.truth.start
        await clock.set(now)
        # The morning handover (a background job on the runner) raises the no-outcome reminders:
        # run it here too once its time has come (it is done once a day, by whoever is first),
        # so the night is not called over while it is still writing them.
        morning = datetime.combine(
            self.truth.start.astimezone(ZONE).date() + DAY, self.sim.settings.handover_at, ZONE
        )
        self.at(
            morning + timedelta(minutes=1),
            lambda: self.run_pass("morning handover", self.sim.clock.now()),
        )
        settled = False
        while True:
            await self.sim.link.wait_over()  # a database fault lasts its seconds, then ends
            due = await self.next_due()
            planned = self.queue[0].at if self.queue else None
            candidates = [x for x in (planned, due, self.pace.next_at) if x]
            if not candidates:
                if settled:
                    break
                # Nothing planned or due: let background passes in flight finish (they may
                # raise an alert) and look once more before calling the night over.
                await asyncio.sleep(SETTLE_S)
                settled = True
                continue
            settled = False
            t = max(min(candidates), now)
            if t == now and not (planned is not None and planned <= now):
                t = now + MIN_STEP
            if t > horizon:
                break
            was, now = now, t
            await clock.set(now)
            self.stamps.restamp(self.sim.fake, was=was, now=now)
            work = (planned is not None and planned <= now) or (due is not None and due <= now)
            while self.queue and self.queue[0].at <= now:
                result = heapq.heappop(self.queue).action()
                if asyncio.iscoroutine(result):
                    await result
            # Calls in flight take their next steps (and new ones their first) at this moment.
            self.pace.release(now)
            await self.pace.settle()
            # An instant only a call's step brought has nothing else due (what its webhook
            # raised for now is found by the next look at the service's timers).
            if work:
                await self.passes()
            self.read_inboxes()
            self.read_alert_calls()
        await self.pace.finish()  # a call still going at the horizon: the rest at once
        self.sim.fake.faults.clear()
        self.sim.fake.webhooks.forget_before()
        await self.sim.link.wait_over()
        await self.sim.fake.settle(limit_s=60)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


async def _fill_refs(sim: Service, truth: NightTruth) -> None:
    """The service's reference for each contact the fake saw (the recorded check uses it)."""
    sids = [c.sid for c in truth.contacts]
    async with sim.database.sessions() as session:
        rows = dict(
            (await session.execute(
                select(Contact.provider_sid, Contact.short_ref)
                .where(Contact.provider_sid.in_(sids))
            )).all()
        )  # fmt: skip
    for contact in truth.contacts:
        contact.ref = rows.get(contact.sid)
        acts = truth.acks.get(contact.ref or "", [])
        acts = [a for a in acts if a[0] >= contact.at]
        if acts:
            first = min(acts)
            contact.ack_at, contact.ack_by = first[0], first[1]
        # The faults it lived through: active at any time from its arrival to a human (or to
        # the end of its night's window when nobody was reached).
        wait = contact.time_to_human_s
        until = contact.at + timedelta(seconds=wait) if wait is not None else truth.start + DAY
        contact.faults = tuple(
            sorted({kind for kind, s, e in truth.faults if s <= until and e > contact.at})
        )


def _forget(sim: Service) -> None:
    """The fake's memory of the night, once checked: keeps each night's scans short."""
    fake = sim.fake
    fake.traces.clear()
    fake.calls.clear()
    fake.messages.clear()
    fake.phones.inboxes.clear()
    fake.webhooks.log.clear()
    fake.app_errors.clear()


async def simulate(
    config: SimConfig,
    database_url: str,
    *,
    progress: Callable[[NightCheck], None] | None = None,
    stop_after_s: float | None = None,
) -> SimResult:
    """Run `config.nights` nights against the database at `database_url` (migrated and given
    the demo's people if empty) and return the truth and checks of each. With `stop_after_s`,
    stop after the night that ends past that much wall time (the bench's budget)."""
    started = time.perf_counter()
    if config.replicas < 1:
        raise ValueError("--replicas: at least 1")
    if config.replicas > 1 and make_url(database_url).get_backend_name() == "sqlite":
        raise ValueError(
            "--replicas: more than one replica needs PostgreSQL (SQLite serves one process)"
        )
    rng = random.Random(config.seed)
    days = [config.first_night + timedelta(days=n) for n in range(config.nights)]
    bounds = [night_bounds(day, ZONE) for day in days]
    loaded_at = bounds[0][0] - timedelta(days=1)
    await prepare_database(database_url, zone=ZONE, loaded_at=loaded_at)
    clock = ManualClock(loaded_at)
    result = SimResult(config, database_url)
    async with running_service(
        database_url, clock, rest_timeout_s=config.rest_timeout_s, replicas=config.replicas
    ) as sim:
        directory = await read_directory(sim.database)
        await publish_nights(sim.database, bounds, directory, zone=ZONE)
        for n, (day, (start, end)) in enumerate(zip(days, bounds, strict=True)):
            truth = await run_one_night(sim, directory, config, rng, n, day, start, end)
            check = await check_night(sim, truth, ZONE)
            result.nights.append(truth)
            result.checks.append(check)
            result.webhooks += len(sim.fake.webhooks.log)
            result.restarts = sim.restarts
            result.db_round_trips = sim.link.round_trips
            _forget(sim)
            if progress is not None:
                progress(check)
            if stop_after_s is not None and time.perf_counter() - started > stop_after_s:
                break
    result.wall_s = time.perf_counter() - started
    return result


def on_duty_codes(directory: Directory, n: int) -> tuple[str, ...]:
    """Who `publish_nights` put on night `n`: two workers and a senior manager."""
    workers, managers = directory.workers, directory.managers
    return (
        workers[(2 * n) % len(workers)],
        workers[(2 * n + 1) % len(workers)],
        managers[n % len(managers)],
    )


async def run_one_night(
    sim: Service,
    directory: Directory,
    config: SimConfig,
    rng: random.Random,
    n: int,
    day: date,
    start: datetime,
    end: datetime,
) -> NightTruth:
    truth = NightTruth(n + 1, start, end)
    # Each night's contacts and faults from a generator of its own: the same seed gives the same
    # nights whatever happened in the ones before (phones and people draw from `rng`, which
    # replica runs a pass from `turns`).
    plan = random.Random(config.seed * 100_003 + n)
    turns = random.Random(config.seed * 100_019 + n)
    night = _Night(sim, directory, config, rng, truth, on_duty_codes(directory, n), turns)
    for arrival in plan_arrivals(plan, day, ZONE, config):
        night.at(arrival.at, lambda a=arrival: night.arrive(a))  # type: ignore[misc]
    for fault in plan_faults(plan, day, ZONE, config):
        night.at(fault.at, lambda f=fault: night.strike(f))  # type: ignore[misc]
    # Work left at the next night's start belongs to this one; stop a minute before it.
    await night.run(start + timedelta(days=1) - timedelta(minutes=1))
    await _fill_refs(sim, truth)
    return truth
