"""Load: a night's burst of calls on three lines while 1,000 open alerts escalate, two replicas.

A PostgreSQL database of its own holds the demo data, Friday night's rota (sw002 then sw004 on
the first tier, sm002 the senior manager) and 1,000 open missed-call alerts raised at 23:00 whose
first steps fall due one after another across the window (`--at-once`: all at 23:00, the worst
case bench/escalation measures on its own); policy: duty worker by SMS, wait 5 min; senior
manager by SMS, wait 10 min; twice; then every manager. Two replica processes
(tests/reliability/faults_support/replica.py: the app as `oncall serve` builds it, scheduler
and outbox sender loops on) sit behind a TCP load balancer;
the fake Twilio runs on its own port in this process and places the calls through the real
webhooks: 200 calls (default) spread over 10 minutes of the service's clock across the police,
hospital and foster lines. sw002 does not answer, sw004 presses 1 and talks; one caller in five
hangs up while the first phone rings (a missed call, so one more alert). One call per line
first warms the replicas up, as a server that has been running has been; it is not counted.

Time: the replicas' demo clock runs `--speed` times real time (default 5: the 10 minutes take two
minutes of wall time; `--speed 1` runs in real time). Ringing and talking are simulated by the
fake (it never sleeps), so a call takes as long as its webhooks take to answer.

Recorded: webhook latency p50/p90/p99/max by webhook (time from the request's first byte to the
answer's, at the balancer), calls answered/missed, the service's time to answer, escalation
step lateness (the step's start after its due time, in service-clock seconds and the wall-clock
equivalent), texts per second and how long a text waits between its step and Twilio, HTTP 5xx
and fake-Twilio errors (must be 0), duplicates and losses (must be 0), the hash chain verified
at the end (once the replicas have stopped), and the machine's load average.

The per-number SMS throttle is raised for the run (one duty worker gets every alert's text, and
would correctly be held at 6 a minute), as in bench/escalation.

Run: .venv/bin/python -m bench.load.run [--calls 200] [--minutes 10] [--alerts 1000] [--speed 5]
Results: bench/results/load.json and load.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from bench.scratch import create_database, drop_database
from integrations.fake_twilio import CallerScript, CallTrace, PhoneBehaviour
from oncall.db.engine import Database
from oncall.db.migrate import upgrade
from oncall.db.models import Contact, Event, Line, OutboundMessage
from oncall.domain.chain import verify_chain
from oncall.log import configure_logging
from tests.reliability.faults_support.cluster import Cluster, start_cluster
from tests.reliability.faults_support.night import outbox_id, seed_night
from tests.support import JERSEY

RESULTS = Path(__file__).parents[1] / "results"
PG_ADMIN = os.environ.get("ONCALL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
T0 = datetime(2027, 1, 8, 23, 0, tzinfo=JERSEY)
CALLERS = {"police": "+441534700201", "hospital": "+441534700301", "foster": "+447797950000"}
LINE_MIX = ("police", "hospital", "police", "foster", "hospital")  # 40 % / 40 % / 20 %
MISSED_EVERY = 5  # one caller in five hangs up while the first phone rings
DRAIN_LIMIT_S = 180.0


def _pct(values: list[float], q: int) -> float:
    if not values:
        return 0.0
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


def _summary(values: list[float], scale: float = 1.0, digits: int = 1) -> dict[str, float]:
    """p50/p90/p99/max of `values` times `scale`."""
    return {
        "n": len(values),
        **{
            name: round(_pct(values, q) * scale, digits)
            for name, q in (("p50", 50), ("p90", 90), ("p99", 99))
        },
        "max": round(max(values, default=0.0) * scale, digits),
    }


async def _burst(cluster: Cluster, calls: int, minutes: float, speed: float) -> list[CallTrace]:
    """Start `calls` calls spread over `minutes` of service time (a fixed, seeded jitter)."""
    rng = random.Random(8)
    window = minutes * 60 / speed
    started = time.monotonic()
    traces = []
    for i in range(calls):
        due = (i + rng.random()) * window / calls
        await asyncio.sleep(max(0.0, due - (time.monotonic() - started)))
        line = LINE_MIX[i % len(LINE_MIX)]
        caller = CallerScript(hang_up_during_dial=1 if i % MISSED_EVERY == 0 else None)
        traces.append(
            cluster.fake.start_inbound_call(
                from_=CALLERS[line], to=cluster.lines[line], caller=caller
            )
        )
    await asyncio.sleep(max(0.0, window - (time.monotonic() - started)))
    return traces


async def _warm_up(cluster: Cluster) -> None:
    """A call on each line before the night's first, as a long-running server has had."""
    for line, number in CALLERS.items():
        await cluster.fake.place_inbound_call(from_=number, to=cluster.lines[line])
    await cluster.fake.settle()
    cluster.balancer.timings.clear()


async def _drained(cluster: Cluster) -> bool:
    """Every text has its final status, and its delivery is in the log."""
    async with cluster.database.sessions() as session:
        rows = list(await session.scalars(select(OutboundMessage)))
    return all(
        r.status in ("delivered", "failed", "undelivered", "cancelled")
        and r.status_logged in (r.status, "")  # cancelled rows are never logged
        for r in rows
    )


async def scenario(
    calls: int, minutes: float, alerts: int, speed: float, *, at_once: bool
) -> dict[str, Any]:
    url, name = await create_database("load", PG_ADMIN)
    try:
        prepared = time.perf_counter()
        await asyncio.to_thread(upgrade, url)
        seeding = Database.connect(url)
        try:
            await seed_night(seeding, alerts=alerts, at=T0)
            if not at_once and alerts:  # first steps fall due one after another over the window
                async with seeding.sessions() as session:
                    await session.execute(
                        text(
                            "UPDATE alerts SET next_action_at = CAST(:t0 AS timestamptz) + "
                            "(id - 1) * make_interval(secs => :gap)"
                        ),
                        {"t0": T0, "gap": minutes * 60 / alerts},
                    )
                    await session.commit()
        finally:
            await seeding.dispose()
        prepare_s = time.perf_counter() - prepared
        with tempfile.TemporaryDirectory(prefix="oncall-load-") as logs:
            async with start_cluster(
                url, Path(logs), start=T0 - timedelta(seconds=30), sms_per_minute=100_000
            ) as cluster:
                await _warm_up(cluster)
                result = await _measure(cluster, calls, minutes, speed, alerts, prepare_s)
        # Verified once the replicas have stopped: nothing is appended during the walk.
        checking = Database.connect(url)
        try:
            async with checking.sessions() as session:
                chain = await verify_chain(session)
        finally:
            await checking.dispose()
        return {
            **result,
            "alerts_due": "at once" if at_once else "spread over the window",
            "chain_ok": chain.ok,
            "chain_break": None if chain.broken is None else str(chain.broken),
            "events_verified": chain.checked,
        }
    finally:
        await drop_database(name, PG_ADMIN)


async def _measure(
    cluster: Cluster, calls: int, minutes: float, speed: float, alerts: int, prepare_s: float
) -> dict[str, Any]:
    fake = cluster.fake
    fake.phones.set(cluster.phones["sw002"], PhoneBehaviour.NO_ANSWER)
    fake.phones.set(cluster.phones["sw004"], PhoneBehaviour.ACCEPT, talk_s=300)
    load_start = os.getloadavg()
    wall_start = datetime.now(UTC)
    await cluster.set_clock(T0, speed=speed)
    traces = await _burst(cluster, calls, minutes, speed)
    await cluster.set_clock(None, speed=1.0)  # the rest at real speed: no new step falls due
    await fake.settle(120)
    drain_started = time.monotonic()
    while not await _drained(cluster):
        if time.monotonic() - drain_started > DRAIN_LIMIT_S:
            break
        await asyncio.sleep(0.5)
    drained_s = time.monotonic() - drain_started
    load_end = os.getloadavg()
    async with cluster.database.sessions() as session:
        rows = list(await session.scalars(select(OutboundMessage)))
        sids = [t.call_sid for t in traces]
        contacts = list(
            await session.scalars(select(Contact).where(Contact.provider_sid.in_(sids)))
        )
        lines = {line.id: line.kind for line in await session.scalars(select(Line))}
        steps = list(await session.scalars(select(Event).where(Event.kind == "alert.escalated")))
    by_kind: dict[str, list[float]] = defaultdict(list)
    statuses: Counter[int] = Counter()
    for timing in cluster.balancer.timings:
        by_kind[timing.path].append(timing.seconds)
        statuses[timing.status] += 1
    sent = [m for m in fake.outbound_messages() if m.direction == "outbound-api"]
    copies = Counter(outbox_id(m.status_callback) for m in sent)
    created = sorted(m.created for m in sent)
    per_10s = Counter(int((c - created[0]).total_seconds() // 10) for c in created)
    queued = [
        (r.sent_at - r.created_at).total_seconds() / speed
        for r in rows
        if r.sent_at is not None and r.channel == "sms"
    ]
    answered = [
        (c.answered_at - c.received_at).total_seconds() / speed
        for c in contacts
        if c.status == "answered" and c.answered_at
    ]
    late = [e.details.get("late_ms", 0) / 1000 for e in steps]
    return {
        "when": wall_start.isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "database": "PostgreSQL",
        "replicas": len(cluster.replicas),
        "clock_speed": speed,
        "window_minutes": minutes,
        "open_alerts_at_start": alerts,
        "prepare_s": round(prepare_s, 1),
        "load_average_start_end": [round(load_start[0], 2), round(load_end[0], 2)],
        "calls": len(traces),
        "calls_by_line": dict(Counter(lines.get(c.line_id or 0, "?") for c in contacts)),
        "calls_answered": len(answered),
        "calls_missed": sum(1 for c in contacts if c.status == "missed"),
        "calls_not_recorded": len(traces) - len(contacts),
        "time_to_answer_service_s": _summary(answered, digits=3),
        "webhook_latency_ms": {k: _summary(v, 1000) for k, v in sorted(by_kind.items())},
        "http_statuses": {str(k): v for k, v in sorted(statuses.items())},
        "http_5xx": sum(v for k, v in statuses.items() if k >= 500),
        "fake_twilio_errors": len(fake.errors),
        "fake_error_examples": [f"{e.leg} {e.detail}"[:200] for e in fake.errors[:3]],
        "escalation_steps": len(steps),
        "step_lateness_clock_s": _summary(late, digits=2),
        "step_lateness_wall_s": _summary(late, 1 / speed, digits=3),
        "texts_sent": len(sent),
        "texts_per_s": round(len(sent) / max(1e-9, (created[-1] - created[0]).total_seconds()), 1)
        if len(created) > 1
        else 0.0,
        "texts_per_s_peak_10s": round(max(per_10s.values(), default=0) / 10, 1),
        "text_queued_to_twilio_wall_s": _summary(queued, digits=3),
        "outbox_rows": len(rows),
        "outbox_statuses": dict(Counter(r.status for r in rows)),
        "duplicates": sum(n - 1 for n in copies.values() if n > 1),
        "failed": sum(1 for r in rows if r.status in ("failed", "undelivered")),
        "lost": sum(1 for r in rows if r.status in ("pending", "sending", "queued", "sent")),
        "drain_after_window_s": round(drained_s, 1),
    }


async def main(calls: int, minutes: float, alerts: int, speed: float, at_once: bool) -> int:
    configure_logging(level="error")
    result = await scenario(calls, minutes, alerts, speed, at_once=at_once)
    result["target_met"] = (
        result["http_5xx"] == 0
        and result["fake_twilio_errors"] == 0
        and result["duplicates"] == 0
        and result["lost"] == 0
        and result["calls_not_recorded"] == 0
        and result["chain_ok"]
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "load.md").write_text(_markdown(result))
    print(json.dumps(result, indent=2))
    return 0 if result["target_met"] else 1


def _row(name: str, s: dict[str, float]) -> str:
    return f"| {name} | {s['n']} | {s['p50']} | {s['p90']} | {s['p99']} | {s['max']} |"


def _markdown(r: dict[str, Any]) -> str:
    hooks = "\n".join(_row(f"`{k}`", v) for k, v in r["webhook_latency_ms"].items())
    late_c, late_w = r["step_lateness_clock_s"], r["step_lateness_wall_s"]
    tta = r["time_to_answer_service_s"]
    facts = "\n".join(
        f"| {name} | {value} |"
        for name, value in (
            ("calls answered / missed / not recorded",
             f"{r['calls_answered']} / {r['calls_missed']} / {r['calls_not_recorded']}"),
            ("service's time to answer (s, wall; ringing simulated) p50 / p99 / max",
             f"{tta['p50']} / {tta['p99']} / {tta['max']}"),
            ("escalation steps run", r["escalation_steps"]),
            ("step lateness, service clock (s) p50 / p90 / p99 / max",
             " / ".join(str(late_c[k]) for k in ("p50", "p90", "p99", "max"))),
            ("step lateness, wall equivalent (s) p50 / p99",
             f"{late_w['p50']} / {late_w['p99']}"),
            ("texts sent / per second on average / at the busiest 10 s",
             f"{r['texts_sent']} / {r['texts_per_s']} / {r['texts_per_s_peak_10s']}"),
            ("text written → handed to Twilio (s, wall) p50 / p99 / max",
             " / ".join(str(r["text_queued_to_twilio_wall_s"][k]) for k in ("p50", "p99", "max"))),
            ("outbox rows by status", r["outbox_statuses"]),
            ("duplicates / lost / failed", f"**{r['duplicates']} / {r['lost']}** / {r['failed']}"),
            ("outbox drained after the window in (s)", r["drain_after_window_s"]),
            ("hash chain (verified after the replicas stopped)",
             f"{'verified' if r['chain_ok'] else 'BROKEN: ' + str(r['chain_break'])}, "
             f"{r['events_verified']:,} events"),
            ("prepare: migrate, demo data, alerts (s)", r["prepare_s"]),
        )
    )  # fmt: skip
    return f"""# Load bench: a burst of calls while {r["open_alerts_at_start"]:,} alerts escalate

{r["calls"]} calls over {r["window_minutes"]:g} minutes of service time across the police,
hospital and foster lines ({", ".join(f"{k} {v}" for k, v in r["calls_by_line"].items())}),
through the real webhooks from the fake Twilio, to {r["replicas"]} replica processes (scheduler
and outbox sender loops each) behind a TCP balancer, on PostgreSQL, while
{r["open_alerts_at_start"]:,} open missed-call alerts escalate (first steps due
{r["alerts_due"]}). The
service clock ran {r["clock_speed"]:g}x real time (ringing and talking are simulated by the fake,
so a call lasts as long as its webhooks take). Run {r["when"]} on {r["machine"]}, a machine
shared with other engineers' test runs: 1-minute load average
{r["load_average_start_end"][0]} at the start, {r["load_average_start_end"][1]} at the end.

## Webhooks (ms, request to first byte of the answer, at the balancer)

| webhook | n | p50 | p90 | p99 | max |
|---|---|---|---|---|---|
{hooks}

HTTP statuses: {r["http_statuses"]} — **{r["http_5xx"]} × 5xx**; fake Twilio errors (a webhook
unanswered, refused or answered with bad TwiML): **{r["fake_twilio_errors"]}**.

## Calls, alerts, texts

| | |
|---|---|
{facts}

Target (0 × 5xx, 0 fake-Twilio errors, 0 duplicates, 0 lost, every call recorded, chain
verified): **{"met" if r["target_met"] else "NOT met"}**. Step lateness is the step's start after
its due time on the service clock; at {r["clock_speed"]:g}x, a second of wall time is
{r["clock_speed"]:g} s of service time, so the wall equivalent is what a real night would see at
the same load. The per-number SMS throttle is raised for the run (one duty worker gets every
alert's text). Run: `.venv/bin/python -m bench.load.run` (see the module docstring).
"""


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--speed", type=float, default=5.0, help="service clock x real time")
    parser.add_argument(
        "--at-once", action="store_true", help="every alert due at 23:00 (default: spread)"
    )
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.calls, args.minutes, args.alerts, args.speed, args.at_once)))
