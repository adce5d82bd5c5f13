"""Voice webhooks: latency with 50 concurrent calls, saturation throughput; SQLite and PostgreSQL.

Latency: 50 calls from police HQ at 23:00 on a Friday with a published rota are in progress at
once, each going through the webhooks Twilio sends for a call that is answered: incoming, the
whisper when the phone picks up, the key press, the end of the dial, the status callback. Between
them each call waits as a phone would (ringing, listening, talking; shortened). Every webhook is
signed and timed. Target: p99 under 50 ms.

Throughput: signed `POST /twilio/voice/incoming` requests for new calls sent back to back by 50
clients until `--calls` are done: the most new calls a second one process takes.

A bare aiohttp handler returning fixed TwiML is measured in the same run, so the figures can be
read against what the framework alone costs on this machine.

Run: .venv/bin/python -m bench.routing.run [--calls 1000] [--concurrency 50]
Results: bench/results/routing.json and routing.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import secrets
import socket
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import ClientSession, TCPConnector, web
from twilio.request_validator import RequestValidator

from oncall.app import create_app
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.migrate import upgrade
from oncall.db.models import Tier
from oncall.log import configure_logging
from oncall.settings import FAKE_AUTH_TOKEN, Settings
from tests.support import JERSEY, ShiftSpec, load_demo_data, publish_rota

RESULTS = Path(__file__).parents[1] / "results"
TARGET_P99_MS = 50.0
NIGHT = datetime(2027, 1, 8, 23, 0, tzinfo=JERSEY)
POLICE_LINE, POLICE_CALLER = "+441534700101", "+441534700201"
PG_ADMIN = os.environ.get("ONCALL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _prepare(url: str) -> None:
    await asyncio.to_thread(upgrade, url)
    db = Database.connect(url)
    try:
        await load_demo_data(db)
        start = datetime(2027, 1, 8, 17, 0, tzinfo=JERSEY)
        async with db.sessions() as session:
            await publish_rota(
                session,
                "2027-01",
                [
                    ShiftSpec(start, start + timedelta(hours=16), Tier.WORKER, ["sw002"]),
                    ShiftSpec(start, start + timedelta(days=3), Tier.MANAGER, ["sm002"]),
                ],
            )
            await session.commit()
    finally:
        await db.dispose()


async def _load(base: str, path: str, calls: int, concurrency: int) -> dict[str, float]:
    """Send `calls` signed webhooks, `concurrency` at a time; latency figures in ms."""
    validator = RequestValidator(FAKE_AUTH_TOKEN)
    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(calls):
        queue.put_nowait(i)

    async def worker(http: ClientSession) -> None:
        nonlocal failures
        while not queue.empty():
            queue.get_nowait()
            params = {
                "CallSid": "CA" + secrets.token_hex(16),
                "From": POLICE_CALLER,
                "To": POLICE_LINE,
                "CallStatus": "ringing",
                "Direction": "inbound",
            }
            headers = {"X-Twilio-Signature": validator.compute_signature(base + path, params)}
            started = time.perf_counter()
            async with http.post(base + path, data=params, headers=headers) as response:
                body = await response.text()
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status != 200 or "<Dial" not in body or "failsafe" in body:
                failures += 1

    wall = time.perf_counter()
    async with ClientSession(connector=TCPConnector(limit=concurrency)) as http:
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
    wall = time.perf_counter() - wall
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "failures": failures,
        "p50_ms": round(statistics.median(latencies), 2),
        "p90_ms": round(quantiles[89], 2),
        "p99_ms": round(quantiles[98], 2),
        "max_ms": round(max(latencies), 2),
        "throughput_per_s": round(len(latencies) / wall, 1),
    }


_URL = re.compile(r'(?:url|action)="([^"]+)"')
RING_S, LISTEN_S, TALK_S = 2.0, 1.5, 3.0


async def _one_call(
    http: ClientSession, base: str, validator: RequestValidator, latencies: list[float]
) -> bool:
    """Drive one answered call through its webhooks; True if every answer was what we expect."""
    call_sid = "CA" + secrets.token_hex(16)

    async def post(path: str, params: dict[str, str]) -> str:
        params = {"CallSid": call_sid, "AccountSid": "AC" + "0" * 32, **params}
        url = base + path.replace("&amp;", "&")
        headers = {"X-Twilio-Signature": validator.compute_signature(url, params)}
        started = time.perf_counter()
        async with http.post(url, data=params, headers=headers) as response:
            body = await response.text()
        latencies.append((time.perf_counter() - started) * 1000)
        return body if response.status == 200 else ""

    first = await post("/twilio/voice/incoming", {"From": POLICE_CALLER, "To": POLICE_LINE})
    urls = _URL.findall(first)  # dial action, then the whisper url
    if len(urls) != 2 or "failsafe" in first:
        return False
    dial_result, whisper = urls
    await asyncio.sleep(RING_S)
    gather = await post(whisper, {"CallStatus": "in-progress"})
    screen = _URL.findall(gather)
    if not screen:
        return False
    await asyncio.sleep(LISTEN_S)
    connected = await post(screen[0], {"Digits": "1"})
    await asyncio.sleep(TALK_S)
    ended = await post(
        dial_result,
        {"DialCallStatus": "completed", "DialCallDuration": "3", "CallStatus": "in-progress"},
    )
    await post("/twilio/voice/status", {"CallStatus": "completed", "CallDuration": "9"})
    return "Connecting" in connected and "Hangup" in ended


async def _concurrent_calls(base: str, calls: int, rounds: int) -> dict[str, float]:
    """`calls` calls in progress at once (started 20 ms apart), `rounds` times over."""
    validator = RequestValidator(FAKE_AUTH_TOKEN)
    latencies: list[float] = []
    failures = 0
    async with ClientSession(connector=TCPConnector(limit=calls * 2)) as http:
        for _ in range(rounds):

            async def staggered(i: int) -> bool:
                await asyncio.sleep(i * 0.02)
                return await _one_call(http, base, validator, latencies)

            results = await asyncio.gather(*(staggered(i) for i in range(calls)))
            failures += results.count(False)
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "calls": calls * rounds,
        "webhooks": len(latencies),
        "failed_calls": failures,
        "p50_ms": round(statistics.median(latencies), 2),
        "p90_ms": round(quantiles[89], 2),
        "p99_ms": round(quantiles[98], 2),
        "max_ms": round(max(latencies), 2),
    }


async def _serve(app: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def measure_service(url: str, calls: int, concurrency: int) -> dict[str, Any]:
    await _prepare(url)
    port = _free_port()
    settings = Settings(
        database_url=url, public_url=f"http://127.0.0.1:{port}", telephony="fake",
        log_level="warning",
    )  # fmt: skip
    runner = await _serve(create_app(settings, clock=ManualClock(NIGHT)), port)
    try:
        await _load(settings.public_url, "/twilio/voice/incoming", min(50, calls), concurrency)
        latency = await _concurrent_calls(settings.public_url, concurrency, rounds=2)
        saturation = await _load(settings.public_url, "/twilio/voice/incoming", calls, concurrency)
        return {"concurrent_calls": latency, "saturation": saturation}
    finally:
        await runner.cleanup()


async def measure_bare(calls: int, concurrency: int) -> dict[str, Any]:
    async def handler(_request: web.Request) -> web.Response:
        return web.Response(
            text="<Response><Dial><Number>+447797910001</Number></Dial></Response>",
            content_type="application/xml",
        )

    app = web.Application()
    app.router.add_post("/twilio/voice/incoming", handler)
    port = _free_port()
    runner = await _serve(app, port)
    try:
        saturation = await _load(
            f"http://127.0.0.1:{port}", "/twilio/voice/incoming", calls, concurrency
        )
        return {"saturation": saturation}
    finally:
        await runner.cleanup()


async def _postgres_url() -> tuple[str, str] | None:
    name = f"oncall_bench_routing_{os.getpid()}"
    try:
        conn = await asyncpg.connect(PG_ADMIN)
    except OSError:
        return None
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_ADMIN.split("://", 1)[1].rsplit("/", 1)[0]
    return f"postgresql+asyncpg://{base}/{name}", name


async def _drop(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def main(calls: int, concurrency: int) -> int:
    configure_logging(level="warning")
    results: dict[str, Any] = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "calls": calls,
        "concurrency": concurrency,
        "target_p99_ms": TARGET_P99_MS,
        "runs": {},
    }
    results["runs"]["bare aiohttp handler"] = await measure_bare(calls, concurrency)
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        results["runs"]["service on SQLite"] = await measure_service(sqlite_url, calls, concurrency)
    pg = await _postgres_url()
    if pg is not None:
        try:
            results["runs"]["service on PostgreSQL"] = await measure_service(
                pg[0], calls, concurrency
            )
        finally:
            await _drop(pg[1])
    services = {n: r for n, r in results["runs"].items() if n.startswith("service")}
    ok = all(
        r["concurrent_calls"]["p99_ms"] < TARGET_P99_MS
        and r["concurrent_calls"]["failed_calls"] == 0
        and r["saturation"]["failures"] == 0
        for r in services.values()
    )
    results["target_met"] = ok
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "routing.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# Voice webhooks: latency with concurrent calls, and saturation throughput",
        "",
        f"{results['when']}, {results['machine']}. Target: p99 < {TARGET_P99_MS:.0f} ms per "
        f"webhook with {concurrency} calls in progress at once.",
        "",
        f"## {concurrency} concurrent answered calls (5 webhooks each, two rounds)",
        "",
        "| run | webhooks | p50 ms | p90 ms | p99 ms | max ms | failed calls |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, run in services.items():
        c = run["concurrent_calls"]
        lines.append(
            f"| {name} | {c['webhooks']} | {c['p50_ms']} | {c['p90_ms']} | {c['p99_ms']} | "
            f"{c['max_ms']} | {c['failed_calls']} |"
        )
    lines += [
        "",
        f"## Saturation: {calls} new-call webhooks, {concurrency} clients back to back",
        "",
        "| run | requests/s | p50 ms | p99 ms | failures |",
        "|---|---|---|---|---|",
    ]
    for name, run in results["runs"].items():
        t = run["saturation"]
        lines.append(
            f"| {name} | {t['throughput_per_s']} | {t['p50_ms']} | {t['p99_ms']} | "
            f"{t['failures']} |"
        )
    lines += ["", f"Target met: {'yes' if ok else 'NO'}."]
    (RESULTS / "routing.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    options = parser.parse_args()
    sys.exit(asyncio.run(main(options.calls, options.concurrency)))
