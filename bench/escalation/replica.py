"""One bench replica in a process of its own: scheduler and sender loops on the real clock.

Prints "ready" once polling, then runs until every alert's step has run and every text is
delivered and logged (or `limit_s` passes), and prints its steps' lateness as one JSON line.
Run by bench/escalation/run.py; not useful on its own.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import sys
import time

from sqlalchemy import func, select

from integrations.twilio import TwilioTelephony, WebhookUrls
from oncall.clock import SystemClock
from oncall.db.engine import Database
from oncall.db.models import Alert, OutboundMessage
from oncall.domain.escalation import WorkerConfig, make_workers
from oncall.domain.outbox import SenderConfig
from oncall.log import configure_logging
from oncall.settings import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN
from tests.support import JERSEY


async def _finished(db: Database, alerts: int) -> bool:
    async with db.sessions() as session:
        stepped = await session.scalar(
            select(func.count()).select_from(Alert).where(Alert.round + Alert.step_index > 0)
        )
        settled = await session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(
                OutboundMessage.status == "delivered",
                OutboundMessage.status_logged == "delivered",
            )
        )
    return stepped == alerts and settled == alerts


async def main(
    url: str, public_url: str, poll: float, batch: int, alerts: int, limit_s: float
) -> None:
    configure_logging(level="error")
    clock = SystemClock()
    db = Database.connect(url)
    telephony = TwilioTelephony(
        account_sid=FAKE_ACCOUNT_SID, auth_token=FAKE_AUTH_TOKEN, api_base=f"{public_url}/fake"
    )
    scheduler, sender = make_workers(  # wired as `oncall serve` wires them
        db.sessions,
        telephony,
        clock,
        WorkerConfig(zone=JERSEY, poll_seconds=poll, batch=batch),
        SenderConfig(WebhookUrls(public_url), per_minute=100_000),
    )
    late: list[float] = []
    done = asyncio.Event()

    async def schedule() -> None:
        while not done.is_set():
            for run in await scheduler.run_once():
                late.append(((run.committed_at or clock.now()) - run.due).total_seconds())
            await asyncio.sleep(poll)

    async def send() -> None:
        while not done.is_set():
            await sender.run_once(clock.now())
            await asyncio.sleep(poll)

    async def watch() -> None:
        started = time.monotonic()
        while time.monotonic() - started < limit_s:
            if await _finished(db, alerts):
                break
            await asyncio.sleep(0.5)
        done.set()

    print("ready", flush=True)
    try:
        await asyncio.gather(schedule(), send(), watch())
    finally:
        await telephony.close()
        await db.dispose()
    print(json.dumps({"late": late}), flush=True)


if __name__ == "__main__":
    url, public_url, poll, batch, alerts, limit_s = sys.argv[1:7]
    run = main(url, public_url, float(poll), int(batch), int(alerts), float(limit_s))
    profile_to = os.environ.get("BENCH_PROFILE_DIR")  # where the time goes: cProfile per replica
    if profile_to:
        profiler = cProfile.Profile()
        profiler.runcall(asyncio.run, run)
        profiler.dump_stats(f"{profile_to}/replica-{os.getpid()}.prof")
    else:
        asyncio.run(run)
