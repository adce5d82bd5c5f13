"""Ten times the call load at once, with and without a hanging database: every voice webhook
answers within the webhook budget (+0.5 s) with the ring-round or the fail-safe ring.

A normal night brings a handful of calls at once; this sends `--calls` (default 50 and 100)
signed `POST /twilio/voice/incoming` for new calls from police HQ all at the same instant, from a
client process of its own (so the client's work never delays the server's loop), to one server
(demo mode, escalation loops off, the budget 5 s, its fail-safe journal on) on SQLite and on
PostgreSQL:

* quiet: the database answers;
* hang: another session holds the contacts table for the whole burst (PostgreSQL `LOCK TABLE
  contacts IN ACCESS EXCLUSIVE MODE`; SQLite: another connection's open write transaction).

Each answer is timed request to answer and sorted: the ring-round (`<Dial>` with the dial-result
action), the fail-safe (`<Dial>` with the fail-safe action), or anything else (a failure). After
the hang the fail-safe records are written and counted: one `call.failsafe` per fail-safe given.

Target: every answer 200 with a `<Dial>`, the slowest ≤ ONCALL_WEBHOOK_BUDGET_SECONDS + 0.5 s.

Run: .venv/bin/python -m bench.surge.run [--calls 50 100] [--repeat 1]
Results: bench/results/surge.json and surge.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import secrets
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientTimeout, TCPConnector
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from bench.hang.run import _hold_postgres, _hold_sqlite
from bench.routing.run import (
    NIGHT,
    POLICE_CALLER,
    POLICE_LINE,
    _drop,
    _free_port,
    _postgres_url,
    _prepare,
    _serve,
)
from oncall import keys
from oncall.app import create_app
from oncall.clock import ManualClock
from oncall.db.models import Event
from oncall.log import configure_logging
from oncall.settings import FAKE_AUTH_TOKEN, Settings

RESULTS = Path(__file__).parents[1] / "results"
BUDGET_S = 5.0
TARGET_MAX_S = BUDGET_S + 0.5
GIVES_UP_S = 15.0  # Twilio's wait: past it the caller would get only the Fallback URL


# ---- the client (a process of its own) ----


def _burst_process(base: str, calls: int, out: Any) -> None:
    out.send(asyncio.run(_burst(base, calls)))


async def _burst(base: str, calls: int) -> list[dict[str, Any]]:
    validator = RequestValidator(FAKE_AUTH_TOKEN)
    url = base + "/twilio/voice/incoming"
    requests = []
    for _ in range(calls):
        params = {"CallSid": "CA" + secrets.token_hex(16), "From": POLICE_CALLER,
                  "To": POLICE_LINE, "CallStatus": "ringing", "Direction": "inbound"}  # fmt: skip
        requests.append((params, {"X-Twilio-Signature": validator.compute_signature(url, params)}))

    async def one(http: ClientSession, params: dict[str, str], headers: dict[str, str]) -> Any:
        started = time.perf_counter()
        try:
            async with http.post(url, data=params, headers=headers) as response:
                body = await response.text()
                status = response.status
        except (TimeoutError, OSError) as exc:
            body, status = type(exc).__name__, 0
        kind = (
            "fail-safe" if "/twilio/voice/failsafe" in body
            else "ring-round" if "<Dial" in body else "other"
        )  # fmt: skip
        return {"seconds": time.perf_counter() - started, "ok": status == 200 and "<Dial" in body,
                "kind": kind, "status": status}  # fmt: skip

    # Connections opened first, so the burst is the requests, not the TCP handshakes.
    async with ClientSession(
        connector=TCPConnector(limit=0, force_close=False),
        timeout=ClientTimeout(total=GIVES_UP_S),
    ) as http:
        return list(await asyncio.gather(*(one(http, p, h) for p, h in requests)))


# ---- the server and the hang (this process) ----


def _figures(answers: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = sorted(a["seconds"] for a in answers)
    p99 = statistics.quantiles(seconds, n=100, method="inclusive")[98]
    kinds: dict[str, int] = {}
    for a in answers:
        kinds[a["kind"]] = kinds.get(a["kind"], 0) + 1
    return {
        "calls": len(answers),
        "not_ok": sum(not a["ok"] for a in answers),
        "answers": kinds,
        "p50_s": round(statistics.median(seconds), 3),
        "p99_s": round(p99, 3),
        "max_s": round(seconds[-1], 3),
    }


async def _one_run(
    url: str, calls: int, hold: Callable[[str, asyncio.Event], Awaitable[None]] | None, tmp: Path
) -> dict[str, Any]:
    await _prepare(url)
    port = _free_port()
    settings = Settings(
        database_url=url, public_url=f"http://127.0.0.1:{port}", telephony="fake",
        log_level="error", escalation_workers=False, webhook_budget_seconds=BUDGET_S,
        failsafe_journal=str(tmp / f"journal-{port}"),
    )  # fmt: skip
    app = create_app(settings, clock=ManualClock(NIGHT))
    runner = await _serve(app, port)
    holder: asyncio.Future[None] | None = None
    try:
        if hold is not None:
            held = asyncio.Event()
            holder = asyncio.ensure_future(hold(url, held))
            await held.wait()
        reader, writer = multiprocessing.Pipe(duplex=False)
        client = multiprocessing.get_context("spawn").Process(
            target=_burst_process, args=(settings.public_url, calls, writer)
        )
        client.start()
        answers: list[dict[str, Any]] = await asyncio.to_thread(reader.recv)
        await asyncio.to_thread(client.join)
        figures = _figures(answers)
        if holder is not None:
            await holder  # the hang ends (25 s after it began)
            await app[keys.RUNNER].run_once("fail-safe records")
            async with app[keys.DATABASE].sessions() as session:
                figures["failsafes_recorded"] = await session.scalar(
                    select(func.count()).select_from(Event).where(Event.kind == "call.failsafe")
                )
        return figures
    finally:
        if holder is not None and not holder.done():
            await holder
        await runner.cleanup()


async def measure(
    name: str,
    url_for: Callable[[str], Awaitable[tuple[str, Callable[[], Awaitable[None]]]]],
    hold: Callable[[str, asyncio.Event], Awaitable[None]],
    sizes: list[int],
    repeat: int,
) -> list[dict[str, Any]]:
    rows = []
    for calls in sizes:
        for database_hangs in (False, True):
            for attempt in range(repeat):
                with tempfile.TemporaryDirectory() as tmp:
                    url, done = await url_for(tmp)
                    try:
                        load = os.getloadavg()[0]
                        figures = await _one_run(
                            url, calls, hold if database_hangs else None, Path(tmp)
                        )
                    finally:
                        await done()
                row = {"database": name, "hang": database_hangs, "attempt": attempt + 1,
                       "loadavg_1m": round(load, 2), **figures}  # fmt: skip
                print(json.dumps(row), flush=True)
                rows.append(row)
    return rows


async def main(args: argparse.Namespace) -> int:
    configure_logging(level="error")

    async def sqlite(tmp: str) -> tuple[str, Callable[[], Awaitable[None]]]:
        async def nothing() -> None:
            return None

        return f"sqlite+aiosqlite:///{tmp}/surge.db", nothing

    async def postgres(_tmp: str) -> tuple[str, Callable[[], Awaitable[None]]]:
        pg = await _postgres_url()
        assert pg is not None, "PostgreSQL does not answer (ONCALL_TEST_POSTGRES_URL)"
        return pg[0], lambda: _drop(pg[1])

    rows = await measure("SQLite", sqlite, _hold_sqlite, args.calls, args.repeat)
    if await _postgres_url_available():
        rows += await measure("PostgreSQL", postgres, _hold_postgres, args.calls, args.repeat)
    ok = all(r["not_ok"] == 0 and r["max_s"] <= TARGET_MAX_S for r in rows)
    results = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "budget_s": BUDGET_S, "target_max_s": TARGET_MAX_S, "target_met": ok, "runs": rows,
    }  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "surge.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# Ten times the call load at once, with and without a hanging database",
        "",
        f"{results['when']}, {results['machine']}. `bench/surge/run.py`: a burst of new calls "
        f"(signed `POST /twilio/voice/incoming`, all sent at once from a client process of its "
        f"own) to one server, its database answering or hanging (the contacts table held for "
        f"the whole burst). Budget {BUDGET_S:g} s; target: every answer 200 with a `<Dial>`, the "
        f"slowest ≤ {TARGET_MAX_S} s. {args.note}".strip(),
        "",
        "| database | database hangs | calls at once | load (1 min) | p50 s | p99 s | max s | "
        "ring-round | fail-safe | not 200+Dial | fail-safes recorded after |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        kinds = r["answers"]
        lines.append(
            f"| {r['database']} | {'yes' if r['hang'] else 'no'} | {r['calls']} | "
            f"{r['loadavg_1m']} | {r['p50_s']} | {r['p99_s']} | {r['max_s']} | "
            f"{kinds.get('ring-round', 0)} | {kinds.get('fail-safe', 0)} | {r['not_ok']} | "
            f"{r.get('failsafes_recorded', '')} |"
        )
    lines += ["", f"Target met: {'yes' if ok else 'NO'}."]
    (RESULTS / "surge.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if ok else 1


async def _postgres_url_available() -> bool:
    pg = await _postgres_url()
    if pg is None:
        return False
    await _drop(pg[1])
    return True


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[50, 100])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--note", default="", help="a sentence for the results page")
    raise SystemExit(asyncio.run(main(parser.parse_args())))
