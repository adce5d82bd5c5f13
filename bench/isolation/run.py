"""Isolation: does a voice webhook stay fast while the same server does CPU-heavy work?

One `oncall serve` process (demo mode, its built-in fake Twilio, escalation loops on) on a
PostgreSQL database of its own (created beside ONCALL_BENCH_POSTGRES_URL's and dropped after),
holding the demo staff, lines and rota and 100,000 hash-chained events of 10,000 contacts
(bench/audit's generator, bulk-loaded). A prober in a process of its own posts a signed
`POST /twilio/voice/incoming` (a new call on the police line, signed with the real twilio
RequestValidator over the public URL, as Twilio signs) every `--interval` seconds, each on its
own without waiting for the one before, and times request to answer. Phases, each `--seconds`
long, one after another on the same server:

* idle: nothing else;
* sign-ins: 150 `POST /login` at once (each from its own client address through the trusted
  proxy header, each a made-up name, so no sign-in throttle stops them: every one would cost an
  argon2 check), again as soon as the last is answered;
* chain: the whole chain verified (`POST /audit/verify` as a manager), again as soon as done;
* csv: the year's events exported as CSV (100,000+ rows, streamed), again as soon as read;
* rota: a month's rota generated (`POST /rota/2026-02/generate`, 10 s limit), again when done.

The chain phase lasts `--chain-seconds` (default 45): a whole walk of 100,000 events at the
workers' lower priority must finish inside it, or the phase measured nothing; the verifications
recorded are counted, and with none the phase's verdict says so.

`--webhook-replica`: a second `oncall serve` on the same database with its escalation loops off
takes the webhooks (the prober posts there), the loads go to the first: what a process of the
webhooks' own (nginx routing `/twilio/` to it) would buy.

`--cgroups` (with `--webhook-replica`; Linux, cgroup v1's `cpu` controller writable, as root
here): each server in a control group of its own with the CPU weight its systemd unit gives it
(`CPUWeight=` in deploy/systemd, converted to `cpu.shares` as systemd does on cgroup v1: weight
x 1024 / 100), what the shipped plain-server layout runs under. Without it each server is a
session (an autogroup) of its own at nice 0, a service manager with no weights.

`--database sqlite`: the same on a SQLite file of the run's own (the data inserted through
SQLAlchemy, where PostgreSQL's is copied in).

Idle and loaded phases alternate (`--rounds`, default 2: idle, sign-ins, idle, chain, idle, csv,
idle, rota, idle, then again): the machine is shared and its load drifts within minutes, so each
load is judged against the idle phases on either side of it (their answers pooled), not against
one idle phase at the start. A load's figures are its rounds' answers pooled.

Targets (issue 13): in each loaded phase p99 <= 2 x idle p99 and max < 1 s. The machine's load
average is recorded beside each phase: other engineers' tests share this 2-core machine.

Run: .venv/bin/python -m bench.isolation.run [--seconds 20] [--chain-seconds 45]
     [--interval 0.1] [--phases ...] [--rounds 2] [--database postgresql|sqlite]
     [--webhook-replica [--cgroups]]
     [--server-root PATH]  (serve another checkout, e.g. main before the change)
Results: bench/results/isolation.json and isolation.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from bench.audit.run import populate
from bench.scratch import create_database, drop_database
from oncall.db.engine import Database
from oncall.db.migrate import upgrade
from oncall.db.models import Event, Line
from oncall.domain.calls import spoken
from oncall.settings import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN
from tests.e2e.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
PG_ADMIN = os.environ.get("ONCALL_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
NIGHT = "2026-01-09T23:00:00+00:00"  # a Friday night of the demo rota
CALLER = "+441534700201"  # the police control room (a known caller in the demo)
PASSWORD = "oncall-demo"  # noqa: S105  (the demo users' published password)
LOADS = ("sign-ins", "chain", "csv", "rota")  # idle phases come before and after each
SIGN_INS = 150
PROBE_GIVES_UP_S = 60.0  # a webhook unanswered this long counts as no answer (status 0)
FAILSAFE_GREETING = spoken.FAILSAFE_GREETING.encode()
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


# ---- the prober (a process of its own, so that the load's client work never delays it) ----


def _probe_process(url: str, line: str, seconds: float, interval: float, out: Any) -> None:
    out.send(asyncio.run(_probe(url, line, seconds, interval)))


async def _probe(url: str, line: str, seconds: float, interval: float) -> dict[str, Any]:
    validator = RequestValidator(FAKE_AUTH_TOKEN)
    target = f"{url}/twilio/voice/incoming"
    samples: list[float] = []
    statuses: Counter[str] = Counter()

    async def one(http: aiohttp.ClientSession) -> None:
        params = {
            "AccountSid": FAKE_ACCOUNT_SID, "CallSid": "CA" + secrets.token_hex(16),
            "From": CALLER, "To": line, "CallStatus": "ringing", "Direction": "inbound",
        }  # fmt: skip
        headers = {"X-Twilio-Signature": validator.compute_signature(target, params)}
        started = time.perf_counter()
        try:
            async with http.post(target, data=params, headers=headers) as answer:
                body = await answer.read()
                # the ring-round, or the fail-safe ring (the step failed or ran over its budget)
                # (with nobody on duty the fail-safe rings the fallback alone, with no follow-up
                # URL: its greeting tells it from the ring-round then)
                failsafe = b"/twilio/voice/failsafe" in body or FAILSAFE_GREETING in body
                kind = " fail-safe" if failsafe else ""
                status = answer.status if b"<Response" in body else -answer.status
                statuses[f"{status}{kind}"] += 1
        except (aiohttp.ClientError, TimeoutError):  # no answer (Twilio waits 15 s at most)
            statuses["0"] += 1
        samples.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=PROBE_GIVES_UP_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        tasks = []
        started = time.monotonic()
        n = 0
        while time.monotonic() - started < seconds:
            tasks.append(asyncio.create_task(one(http)))
            n += 1
            await asyncio.sleep(max(0.0, started + n * interval - time.monotonic()))
        await asyncio.gather(*tasks)
    return {"samples": samples, "statuses": dict(statuses)}


# ---- the loads (in this process) ----


class Site:
    """A signed-in browser of the bench (its own cookie jar)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(total=600)
        )
        self.csrf = ""

    async def sign_in(self, username: str) -> None:
        async with self.http.post(
            f"{self.url}/login", data={"username": username, "password": PASSWORD},
            headers={"X-Forwarded-For": f"192.0.2.{len(username)}"}, allow_redirects=False,
        ) as answer:  # fmt: skip
            assert answer.status == 303, answer.status
        async with self.http.get(f"{self.url}/now") as page:
            found = CSRF.search(await page.text())
            assert found, "no CSRF token on /now"
            self.csrf = found.group(1)

    async def close(self) -> None:
        await self.http.close()


async def _sign_ins(url: str, until: float, report: dict[str, Any]) -> None:
    statuses: Counter[int] = Counter()
    bursts = 0
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=600)
    ) as http:

        async def attempt(n: int) -> None:
            async with http.post(
                f"{url}/login", data={"username": f"guess{secrets.token_hex(4)}", "password": "x"},
                headers={"X-Forwarded-For": f"10.{bursts % 250}.{n // 250}.{n % 250 + 1}"},
                allow_redirects=False,
            ) as answer:  # fmt: skip
                await answer.read()
                statuses[answer.status] += 1

        seconds = []
        while time.monotonic() < until:
            started = time.perf_counter()
            await asyncio.gather(*(attempt(n) for n in range(SIGN_INS)))
            seconds.append(round(time.perf_counter() - started, 2))
            bursts += 1
    report.update(bursts=bursts, statuses=dict(statuses), seconds_per_burst=seconds)


async def _chain(site: Site, url: str, db: Database, until: float, report: dict[str, Any]) -> None:
    async def verified() -> int:
        async with db.sessions() as session:
            return int(
                await session.scalar(
                    select(func.count()).select_from(Event).where(Event.kind == "audit.verified")
                )
                or 0
            )

    before = await verified()
    asked = 0
    while time.monotonic() < until:
        async with site.http.post(
            f"{url}/audit/verify", data={"csrf_token": site.csrf}, allow_redirects=False
        ) as answer:
            assert answer.status == 303, answer.status
        asked += 1
        await asyncio.sleep(0.5)  # a verification already running is left alone
    await asyncio.sleep(0.5)
    report.update(asked=asked, verifications_recorded=await verified() - before)


async def _csv(site: Site, url: str, until: float, report: dict[str, Any]) -> None:
    exports, rows, seconds = 0, 0, []
    while time.monotonic() < until:
        started = time.perf_counter()
        async with site.http.get(
            f"{url}/audit/export/events.csv?from=2026-01-01&to=2026-12-31"
        ) as answer:
            assert answer.status == 200, answer.status
            async for chunk in answer.content.iter_chunked(1 << 16):
                rows += chunk.count(b"\r\n")
        seconds.append(time.perf_counter() - started)
        exports += 1
    report.update(exports=exports, rows_per_export=rows // max(1, exports) - 1,
                  seconds_per_export=[round(s, 2) for s in seconds])  # fmt: skip


async def _rota(site: Site, url: str, until: float, report: dict[str, Any]) -> None:
    solves, states = 0, Counter[str]()
    while time.monotonic() < until:
        async with site.http.post(
            f"{url}/rota/2026-02/generate",
            data={"csrf_token": site.csrf, "time_limit": "10"}, allow_redirects=False,
        ) as answer:  # fmt: skip
            assert answer.status == 303, (answer.status, await answer.text())
            job = answer.headers["Location"]
        while True:
            async with site.http.get(f"{url}{job}.json") as status:
                state = (await status.json())["state"]
            if state != "running":
                break
            await asyncio.sleep(0.25)
        states[state] += 1
        solves += 1
    report.update(solves=solves, states=dict(states))


# ---- the run ----


def _figures(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = statistics.quantiles(ordered, n=100, method="inclusive")[98] if len(ordered) > 1 else 0
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(p99 * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(stat_path: str) -> float:
    """utime + stime of a /proc stat file (0 where there is none: not Linux, or gone)."""
    try:
        fields = Path(stat_path).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _server_cpu(pid: int | None) -> dict[str, float]:
    """CPU seconds so far of the server's event loop thread (its main thread), of the whole
    server process, and of its live child processes (the CPU workers, the rota solvers)."""
    if pid is None:
        return {}
    children = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            children += _cpu_seconds(str(stat))
    return {
        "loop_thread": _cpu_seconds(f"/proc/{pid}/task/{pid}/stat"),
        "process": _cpu_seconds(f"/proc/{pid}/stat"),
        "children": children,
    }


SERVER_PID: int | None = None  # the server whose CPU each phase records (set by `run`)


async def _phase(
    name: str,
    url: str,
    line: str,
    args: argparse.Namespace,
    site: Site,
    db: Database,
    probe_url: str | None = None,
) -> dict[str, Any]:
    load_before = os.getloadavg()
    cpu_before = _server_cpu(SERVER_PID)
    seconds = args.chain_seconds if name == "chain" else args.seconds
    reader, writer = multiprocessing.Pipe(duplex=False)
    prober = multiprocessing.get_context("spawn").Process(
        target=_probe_process, args=(probe_url or url, line, seconds, args.interval, writer)
    )
    report: dict[str, Any] = {}
    prober.start()
    until = time.monotonic() + seconds
    await asyncio.sleep(0.5)  # the prober's first calls see the load arriving, not before it
    if name == "sign-ins":
        await _sign_ins(url, until, report)
    elif name == "chain":
        await _chain(site, url, db, until, report)
    elif name == "csv":
        await _csv(site, url, until, report)
    elif name == "rota":
        await _rota(site, url, until, report)
    probed = await asyncio.to_thread(reader.recv)
    await asyncio.to_thread(prober.join)
    load_after = os.getloadavg()
    cpu_after = _server_cpu(SERVER_PID)
    # Children that ended during the phase are missed (a rota solver is kept, so is a worker).
    cpu = {k: round(max(0.0, cpu_after[k] - cpu_before.get(k, 0.0)), 2) for k in cpu_after}
    return {
        "server_cpu_s": cpu,
        "name": name,
        "samples": probed["samples"],
        "voice_webhook": _figures(probed["samples"]),
        "webhook_statuses": probed["statuses"],
        "load": report,
        "loadavg_1m": [round(load_before[0], 2), round(load_after[0], 2)],
        "seconds": seconds,
    }


CGROUP_CPU = Path("/sys/fs/cgroup/cpu")
SYSTEMD_UNITS = ROOT / "deploy" / "systemd"


def _unit_weight(unit: str) -> int:
    """The unit's `CPUWeight=` (systemd's default, 100, when it sets none)."""
    text = (SYSTEMD_UNITS / unit).read_text(encoding="utf-8")
    found = re.search(r"^CPUWeight=(\d+)$", text, re.MULTILINE)
    return int(found.group(1)) if found else 100


class ControlGroup:
    """A cgroup v1 `cpu` group of the bench's own, weighted as a systemd unit would be."""

    def __init__(self, unit: str) -> None:
        self.weight = _unit_weight(unit)
        self.path = CGROUP_CPU / f"oncall-bench-{os.getpid()}-{unit.removesuffix('.service')}"
        self.path.mkdir()
        (self.path / "cpu.shares").write_text(str(self.weight * 1024 // 100))

    def take(self, pid: int) -> None:
        """Move `pid` in (its children forked from now on are born in it)."""
        (self.path / "cgroup.procs").write_text(str(pid))

    def remove(self) -> None:
        """Once every process in it has ended (a server's workers end within a second or so)."""
        for _ in range(100):
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)
        print(f"left behind, not empty: {self.path}", file=sys.stderr)


async def _serve(
    url_db: str,
    port: int,
    root: Path,
    log: Path,
    *,
    loops: bool = True,
    group: ControlGroup | None = None,
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "ONCALL_DATABASE_URL": url_db, "ONCALL_TELEPHONY": "fake", "ONCALL_PORT": str(port),
        "ONCALL_PUBLIC_URL": f"http://127.0.0.1:{port}", "ONCALL_SECRET_KEY": "b" * 40,
        "ONCALL_LOG_LEVEL": "warning", "ONCALL_CHAIN_VERIFY_MINUTES": "0",
        "ONCALL_ESCALATION_WORKERS": "on" if loops else "off",
        # Nobody is on the demo rota at NIGHT in this data set: each probe's call rings the
        # fallback number (a ring-round's first step), where without it every call would be a
        # missed call raising an alert, and the escalation of hundreds of alerts would load the
        # later phases more than the first.
        "ONCALL_FALLBACK_NUMBER": "+447797990001",
    }  # fmt: skip
    python = root / ".venv" / "bin" / "python"
    with log.open("wb") as out:
        # In a session of its own, as a service manager starts a service (and gives it a
        # control group of its own): the kernel shares the CPU between sessions first, so a
        # server sharing the bench's session would be charged for the bench's CPU.
        process = await asyncio.create_subprocess_exec(
            str(python if python.exists() else sys.executable), "-m", "oncall", "serve",
            env=env, cwd=root, stdout=out, stderr=out, start_new_session=True,
        )  # fmt: skip
    if group is not None:
        group.take(process.pid)  # before it starts any worker (they start with the first load)
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                    if answer.status == 200:
                        async with http.post(
                            f"http://127.0.0.1:{port}/demo/clock", json={"at": NIGHT}
                        ) as moved:
                            assert moved.status == 200, await moved.text()
                        return process
            except aiohttp.ClientError:
                pass
            if process.returncode is not None:
                break
            await asyncio.sleep(0.1)
    tail = (await asyncio.to_thread(log.read_text))[-3000:]
    raise SystemExit(f"the server did not start:\n{tail}")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    scratch = None
    if args.database == "sqlite":
        scratch = tempfile.mkdtemp(prefix="oncall-isolation-")
        url_db, name = f"sqlite+aiosqlite:///{scratch}/oncall.db", ""
    else:
        url_db, name = await create_database("isolation", PG_ADMIN)
    process = replica = None
    groups: dict[str, ControlGroup] = {}
    try:
        if args.cgroups:
            groups = {unit: ControlGroup(unit) for unit in ("oncall.service",
                                                            "oncall-webhooks.service")}  # fmt: skip
        await asyncio.to_thread(upgrade, url_db)
        seeded = await populate(url_db, 10_000, 10)
        db = Database.connect(url_db)
        async with db.sessions() as session:
            line = await session.scalar(select(Line.twilio_number).where(Line.kind == "police"))
        assert line
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = Path(tempfile.gettempdir()) / f"oncall-isolation-{os.getpid()}.log"
        process = await _serve(url_db, port, args.server_root, log,
                               group=groups.get("oncall.service"))  # fmt: skip
        global SERVER_PID
        SERVER_PID = process.pid
        probe_url = None
        if args.webhook_replica:
            replica_port = free_port()
            replica = await _serve(
                url_db, replica_port, args.server_root, log.with_suffix(".webhooks.log"),
                loops=False, group=groups.get("oncall-webhooks.service"),
            )  # fmt: skip
            probe_url = f"http://127.0.0.1:{replica_port}"
        manager, coordinator = Site(url), Site(url)
        await manager.sign_in("manager")
        await coordinator.sign_in("coordinator")
        phases: list[dict[str, Any]] = []
        order = [name for _ in range(args.rounds) for load in args.phases
                 for name in ("idle", load)] + ["idle"]  # fmt: skip
        try:
            warm_up = argparse.Namespace(seconds=3, chain_seconds=3, interval=0.2)
            await _phase("idle", url, line, warm_up, manager, db, probe_url)  # not recorded
            for phase in order:
                site = coordinator if phase == "rota" else manager
                phases.append(await _phase(phase, url, line, args, site, db, probe_url))
                print(phase, json.dumps(phases[-1]["voice_webhook"]), phases[-1]["loadavg_1m"],
                      flush=True)  # fmt: skip
                await asyncio.sleep(2)  # let the last of the load finish before the next phase
        finally:
            await manager.close()
            await coordinator.close()
            await db.dispose()
        return {"seeded": seeded, "phases": phases}
    finally:
        for server in (replica, process):
            if server is not None and server.returncode is None:
                server.send_signal(signal.SIGTERM)
                try:
                    async with asyncio.timeout(20):
                        await server.wait()
                except TimeoutError:
                    server.kill()
        for group in groups.values():
            await asyncio.to_thread(group.remove)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            await drop_database(name, PG_ADMIN)


def summarise(phases: list[dict[str, Any]]) -> dict[str, Any]:
    """Per load: its rounds' answers pooled, against the idle phases on either side of each of
    its rounds (pooled); and every idle phase pooled. Verdicts against the neighbouring idle."""
    summary: dict[str, Any] = {}
    idle_all = [x for p in phases if p["name"] == "idle" for x in p["samples"]]
    if idle_all:
        summary["idle"] = {"voice_webhook": _figures(idle_all), "rounds": sum(
            p["name"] == "idle" for p in phases)}  # fmt: skip
    for load in dict.fromkeys(p["name"] for p in phases if p["name"] != "idle"):
        samples, beside, loadavg, work = [], [], [], []
        for i, phase in enumerate(phases):
            if phase["name"] != load:
                continue
            samples += phase["samples"]
            loadavg.append(phase["loadavg_1m"])
            work.append(phase["load"])
            for j in (i - 1, i + 1):
                if 0 <= j < len(phases) and phases[j]["name"] == "idle":
                    beside += phases[j]["samples"]
        figures, idle = _figures(samples), _figures(beside or idle_all)
        verdict = {
            "p99_within_2x_idle": figures["p99_ms"] <= 2 * idle["p99_ms"],
            "max_under_1s": figures["max_ms"] < 1000,
        }
        if load == "chain":  # a phase in which no walk finished measured no walk
            verdict["a_walk_finished"] = all(w.get("verifications_recorded", 0) > 0 for w in work)
        summary[load] = {
            "voice_webhook": figures, "idle_beside": idle,
            "ratio_p99": round(figures["p99_ms"] / idle["p99_ms"], 2) if idle["p99_ms"] else None,
            "verdict": verdict, "loadavg_1m": loadavg, "load": work, "rounds": len(work),
        }  # fmt: skip
    return summary


def write(results: dict[str, Any], stem: str) -> None:
    phases, summary = results["phases"], results["summary"]
    stored = {**results, "phases": [{k: v for k, v in p.items() if k != "samples"}
                                    for p in phases]}  # fmt: skip
    (RESULTS / f"{stem}.json").write_text(json.dumps(stored, indent=2) + "\n")
    rows = []
    for name, each in summary.items():
        f = each["voice_webhook"]
        if name == "idle":
            rows.append(f"| idle (all {each['rounds']} idle phases) | {f['n']} | {f['p50_ms']} | "
                        f"{f['p99_ms']} | {f['max_ms']} | | | |")  # fmt: skip
            continue
        idle, verdict = each["idle_beside"], each["verdict"]
        met = "met" if all(verdict.values()) else "**not met**"
        if not verdict.get("a_walk_finished", True):
            met = "**not measured** (a round with no walk finished)"
        rows.append(
            f"| {name} ({each['rounds']} rounds) | {f['n']} | {f['p50_ms']} | {f['p99_ms']} | "
            f"{f['max_ms']} | {idle['p99_ms']} | {each['ratio_p99']} × | {met} |"
        )
    timeline = "\n".join(
        f"| {i + 1} | {p['name']} | {p['voice_webhook']['p50_ms']} | {p['voice_webhook']['p99_ms']}"
        f" | {p['voice_webhook']['max_ms']} | {p['loadavg_1m'][0]} → {p['loadavg_1m'][1]} | "
        f"{' / '.join(str(v) for v in p.get('server_cpu_s', {}).values())} |"
        for i, p in enumerate(phases)
    )
    loads = "\n".join(
        f"- {p['name']} ({i + 1}): `{json.dumps(p['load'])}`"
        for i, p in enumerate(phases)
        if p["name"] != "idle"
    )
    statuses: dict[str, Counter[str]] = {}
    for p in phases:
        statuses.setdefault(p["name"], Counter()).update(p["webhook_statuses"])
    text = f"""# Isolation bench: a voice webhook while the server does CPU-heavy work

{results["about"]}

## Voice webhook (`POST /twilio/voice/incoming`, ms, request to answer)

Each load against the idle phases on either side of its rounds (pooled):

| load | n | p50 | p99 | max | idle beside: p99 | p99 ÷ idle p99 | target |
|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Target: p99 under load ≤ 2 × idle p99, and max < 1 s. Webhook answers by status (negative:
an answer without TwiML; 0: no answer; "fail-safe": the fail-safe ring, not the ring-round):
`{json.dumps(statuses)}`.

Every phase in the order run, with the machine's load average (1 min) at its start and end:

| # | phase | p50 | p99 | max | load average | server CPU s: loop thread / process / children |
|---|---|---|---|---|---|---|
{timeline}

## What each load did

{loads}

Run: `.venv/bin/python -m bench.isolation.run` (see the module docstring). Seeded:
`{json.dumps(results["seeded"])}`.
"""
    (RESULTS / f"{stem}.md").write_text(text)


def _commit(root: Path) -> str:
    git = ["git", "-C", str(root)]
    found = subprocess.run([*git, "rev-parse", "--short", "HEAD"],
                           capture_output=True, text=True, check=False)  # fmt: skip
    dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, check=False).stdout.strip()  # fmt: skip
    return (found.stdout.strip() or "?") + (" (with uncommitted changes)" if dirty else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument(
        "--chain-seconds", type=float, default=45.0, help="length of the chain phase"
    )
    parser.add_argument("--interval", type=float, default=0.1, help="between webhook probes")
    parser.add_argument(
        "--webhook-replica", action="store_true",
        help="probe a second server of the webhooks' own (escalation loops off)",
    )  # fmt: skip
    parser.add_argument(
        "--cgroups", action="store_true",
        help="each server in a cgroup weighted as its systemd unit (needs --webhook-replica)",
    )  # fmt: skip
    parser.add_argument("--phases", nargs="+", choices=LOADS, default=list(LOADS),
                        help="the loads, each between two idle phases")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=2, help="how many times each load runs")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--server-root", type=Path, default=ROOT, help="the checkout to serve")
    parser.add_argument("--stem", default="isolation", help="results file name (no suffix)")
    parser.add_argument("--note", default="", help="a sentence for the results page")
    args = parser.parse_args()
    if args.cgroups and not args.webhook_replica:
        parser.error("--cgroups weighs the app against the webhook process: add --webhook-replica")
    if args.cgroups and not os.access(CGROUP_CPU, os.W_OK):
        parser.error(f"--cgroups needs cgroup v1's cpu controller writable at {CGROUP_CPU}")
    started = datetime.now(UTC)
    results = asyncio.run(run(args))
    results["summary"] = summarise(results["phases"])
    cores = os.cpu_count()
    database = "SQLite" if args.database == "sqlite" else "PostgreSQL"
    results["about"] = (
        f"Run {started.isoformat(timespec='seconds')} on {platform.machine()}, {cores} cores, "
        f"Python {platform.python_version()}, {database}, serving {args.server_root.name} at "
        f"{_commit(args.server_root)}; {args.rounds} rounds, each "
        f"phase {args.seconds:g} s (the chain's {args.chain_seconds:g} s) with a webhook every "
        f"{args.interval:g} s"
        + (", posted to a second server of the webhooks' own" if args.webhook_replica else "")
        + (
            ", each server in a cgroup weighted as its systemd unit (cpu.shares "
            f"{_unit_weight('oncall.service') * 1024 // 100} for the app, "
            f"{_unit_weight('oncall-webhooks.service') * 1024 // 100} for the webhooks)"
            if args.cgroups
            else ""
        )
        + ". The machine was "
        f"shared with other engineers' test runs (load averages below). {args.note}"
    ).strip()
    write(results, args.stem)
    print(json.dumps({k: (v.get("verdict"), v.get("ratio_p99")) for k, v in
                      results["summary"].items()}, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
