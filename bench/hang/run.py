"""Voice webhooks while the database hangs for 25 s: every answer within the webhook budget.

A new call from police HQ arrives every 0.2 s (signed `POST /twilio/voice/incoming`) for 5 s of
quiet, then for 25 s while another session holds the contacts table (PostgreSQL:
`BEGIN; LOCK TABLE contacts IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(25); COMMIT;`, as issue 13
measured; SQLite: another connection's write transaction open for 25 s), then for 5 s after.
Each answer is timed and sorted: the ring-round from the database, or the fail-safe ring.

Target: during the hang, max ≤ ONCALL_WEBHOOK_BUDGET_SECONDS (5 s) + 0.5 s, every answer 200
with a <Dial>. Before the budget existed the same hang held each webhook for 24.1 s.

Run: .venv/bin/python -m bench.hang.run
Results: bench/results/hang.json and hang.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import secrets
import sqlite3
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import ClientSession, TCPConnector
from twilio.request_validator import RequestValidator

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
from oncall.app import create_app
from oncall.clock import ManualClock
from oncall.log import configure_logging
from oncall.settings import FAKE_AUTH_TOKEN, Settings

RESULTS = Path(__file__).parents[1] / "results"
BUDGET_S = 5.0
TARGET_MAX_S = BUDGET_S + 0.5
QUIET_S, HANG_S, AFTER_S, EVERY_S = 5.0, 25.0, 5.0, 0.2


async def _hold_postgres(url: str, started: asyncio.Event) -> None:
    conn = await asyncpg.connect("postgresql://" + url.split("://", 1)[1])
    try:
        async with conn.transaction():
            await conn.execute("LOCK TABLE contacts IN ACCESS EXCLUSIVE MODE")
            started.set()
            await conn.execute(f"SELECT pg_sleep({HANG_S})")
    finally:
        await conn.close()


async def _hold_sqlite(url: str, started: asyncio.Event) -> None:
    conn = sqlite3.connect(url.split(":///", 1)[1], isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA busy_timeout=30000")
        await asyncio.to_thread(conn.execute, "BEGIN IMMEDIATE")
        started.set()
        await asyncio.sleep(HANG_S)
        conn.execute("COMMIT")
    finally:
        conn.close()


async def _call(
    http: ClientSession, base: str, validator: RequestValidator, t0: float
) -> dict[str, Any]:
    params = {"CallSid": "CA" + secrets.token_hex(16), "From": POLICE_CALLER, "To": POLICE_LINE,
              "CallStatus": "ringing", "Direction": "inbound"}  # fmt: skip
    url = base + "/twilio/voice/incoming"
    headers = {"X-Twilio-Signature": validator.compute_signature(url, params)}
    started = time.perf_counter()
    async with http.post(url, data=params, headers=headers) as response:
        body = await response.text()
    return {
        "at_s": started - t0,
        "seconds": time.perf_counter() - started,
        "ok": response.status == 200 and "<Dial" in body,
        "failsafe": "/twilio/voice/failsafe" in body,
    }


def _figures(answers: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = [a["seconds"] for a in answers]
    quantiles = (
        statistics.quantiles(seconds, n=100, method="inclusive")
        if len(seconds) > 1
        else seconds * 99
    )
    slowest = max(answers, key=lambda a: a["seconds"])
    return {
        "requests": len(answers),
        "not_ok": sum(not a["ok"] for a in answers),
        "failsafe": sum(a["failsafe"] for a in answers),
        "p50_s": round(statistics.median(seconds), 3),
        "p99_s": round(quantiles[98], 3),
        "max_s": round(max(seconds), 3),
        "slowest_sent_at_s": round(slowest["at_s"], 2),
    }


async def measure(url: str, hold: Any) -> dict[str, Any]:
    await _prepare(url)
    port = _free_port()
    settings = Settings(
        database_url=url, public_url=f"http://127.0.0.1:{port}", telephony="fake",
        log_level="error", escalation_workers=False, webhook_budget_seconds=BUDGET_S,
    )  # fmt: skip
    runner = await _serve(create_app(settings, clock=ManualClock(NIGHT)), port)
    validator = RequestValidator(FAKE_AUTH_TOKEN)
    calls: list[asyncio.Task[dict[str, Any]]] = []
    try:
        async with ClientSession(connector=TCPConnector(limit=0)) as http:
            t0 = time.perf_counter()
            started = asyncio.Event()
            holder: asyncio.Task[None] | None = None
            hang = (QUIET_S, QUIET_S + HANG_S)
            while (now := time.perf_counter() - t0) < QUIET_S + HANG_S + AFTER_S:
                if holder is None and now >= QUIET_S:
                    holder = asyncio.create_task(hold(url, started))
                    await started.wait()
                    hang = (time.perf_counter() - t0, time.perf_counter() - t0 + HANG_S)
                calls.append(asyncio.create_task(_call(http, settings.public_url, validator, t0)))
                await asyncio.sleep(EVERY_S)
            answers = await asyncio.gather(*calls)
            if holder is not None:
                await holder
    finally:
        await runner.cleanup()
    during = [a for a in answers if hang[0] <= a["at_s"] < hang[1]]
    others = [a for a in answers if not hang[0] <= a["at_s"] < hang[1]]
    return {"quiet": _figures(others), "hang": _figures(during)}


async def main() -> int:
    configure_logging(level="error")
    results: dict[str, Any] = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "budget_s": BUDGET_S,
        "target_max_s": TARGET_MAX_S,
        "runs": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        results["runs"]["SQLite"] = await measure(
            f"sqlite+aiosqlite:///{tmp}/hang.db", _hold_sqlite
        )
    pg = await _postgres_url()
    if pg is not None:
        try:
            results["runs"]["PostgreSQL"] = await measure(pg[0], _hold_postgres)
        finally:
            await _drop(pg[1])
    ok = all(
        run["hang"]["max_s"] <= TARGET_MAX_S and run["hang"]["not_ok"] == 0
        and run["quiet"]["not_ok"] == 0
        for run in results["runs"].values()
    )  # fmt: skip
    results["target_met"] = ok
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "hang.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# Voice webhooks during a 25 s database hang",
        "",
        f"{results['when']}, {results['machine']}. `bench/hang/run.py`: a new call every "
        f"{EVERY_S} s, {QUIET_S:.0f} s quiet, {HANG_S:.0f} s with the contacts table held "
        f"(PostgreSQL `LOCK TABLE contacts IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(25)`; "
        f"SQLite: another connection's open write transaction), {AFTER_S:.0f} s after. Budget "
        f"{BUDGET_S:.0f} s (`ONCALL_WEBHOOK_BUDGET_SECONDS`); target: max during the hang ≤ "
        f"{TARGET_MAX_S} s, every answer 200 with a `<Dial>`. Without the budget (issue 13) the "
        "same hang held each webhook 24.1 s.",
        "",
        "| database | window | requests | p50 s | p99 s | max s | fail-safe | not 200+Dial |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, run in results["runs"].items():
        for window in ("quiet", "hang"):
            f = run[window]
            lines.append(
                f"| {name} | {'during the hang' if window == 'hang' else 'before and after'} | "
                f"{f['requests']} | {f['p50_s']} | {f['p99_s']} | {f['max_s']} | "
                f"{f['failsafe']} | {f['not_ok']} |"
            )
    lines += ["", f"Target met: {'yes' if ok else 'NO'}."]
    (RESULTS / "hang.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
