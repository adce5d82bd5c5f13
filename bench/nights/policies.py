"""Time to a human under escalation policies the service permits: the same nights, three policies.

The p99 time to a human (issue 15: under 3 minutes) is set by the escalation policy and the
people, not by the machine: a missed call's own ringing (the duty worker, the second worker and
the senior manager in turn) takes 60-90 s, and an alert whose first step nobody accepts waits
for a text reply (20 s to 7 min by the stated odds) or for the next step. This runs the same
seeded nights (SQLite, no faults: the policy is what is compared) under:

- `default`: the service's default (oncall/domain/escalation/policies.py, docs/escalation.md):
  both workers on duty at once (text and call), the senior manager a minute later, 14 more;
- `previous`: the default before it: the duty worker, the senior manager 5 minutes later, 10 more;
- `workers-2`: both workers at once, the senior manager 2 minutes later, 13 more;
- `workers`: both workers at once, the senior manager 5 minutes later, 10 more;
- `manager`: the duty worker and the senior manager at once, again 10 minutes later.

Each is a policy the escalation page accepts (targets, channels, wait). Besides the time to a
human it counts how many of these alerts reached a manager (texted or called: the price in
managers woken). Every variant runs in a process of its own, at once.

Run: .venv/bin/python -m bench.nights.policies [--nights 100] [--seed 3]
Results: bench/results/nights-policies.json and .md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.engine import Database
from oncall.db.models import Alert, OutboundMessage, Person, Tier
from oncall.domain.escalation.policies import policy_for, update_policy
from oncall.log import configure_logging
from oncall.sim import SimConfig, simulate
from oncall.sim.model import night_bounds
from oncall.sim.report import summary
from oncall.sim.run import ZONE
from oncall.sim.world import prepare_database

RESULTS = Path(__file__).parents[1] / "results"
TARGET_S = 180.0
# variant -> (first step's targets, its wait in minutes, second step's targets, its wait);
# None: the service's default, as shipped.
VARIANTS: dict[str, tuple[list[str], int, list[str], int] | None] = {
    "default": None,
    "previous": (["duty_worker"], 5, ["senior_manager"], 10),
    "workers-2": (["duty_worker", "second_worker"], 2, ["senior_manager"], 13),
    "workers": (["duty_worker", "second_worker"], 5, ["senior_manager"], 10),
    "manager": (["duty_worker", "senior_manager"], 10, ["senior_manager"], 10),
}
KINDS = ("missed_call", "voicemail", "inbound_sms")


async def _run(variant: str, nights: int, seed: int, folder: str) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{Path(folder) / f'{variant}.db'}"
    config = SimConfig(seed=seed, nights=nights, fault_rate=0.0)
    loaded = night_bounds(config.first_night, ZONE)[0] - timedelta(days=1)
    await prepare_database(url, zone=ZONE, loaded_at=loaded)
    variant_steps = VARIANTS[variant]
    if variant_steps is not None:
        first, wait, second, second_wait = variant_steps
        database = Database.connect(url)
        try:
            async with database.sessions() as session:
                for kind in KINDS:
                    steps = [
                        {"targets": first, "channels": ["sms", "voice"], "wait_minutes": wait},
                        {"targets": second, "channels": ["sms", "voice"],
                         "wait_minutes": second_wait},
                    ]  # fmt: skip
                    await update_policy(
                        session, line_id=None, kind=kind, steps=steps, repeat=2, now=loaded,
                        by="bench",
                    )  # fmt: skip
                await session.commit()
        finally:
            await database.dispose()
    result = await simulate(config, url)
    figures = summary(result)
    waits = sorted(
        t for night in result.nights for c in night.contacts if (t := c.time_to_human_s) is not None
    )
    over = [w for w in waits if w > TARGET_S]
    database = Database.connect(url)
    try:
        async with database.sessions() as session:
            policy = await policy_for(session, line_id=None, kind=KINDS[0], now=loaded)
            alerts, to_managers, manager_messages = await _managers_paged(session)
    finally:
        await database.dispose()
    return {
        "variant": variant,
        "steps": [step.as_json() for step in policy.steps],
        "alerts": alerts,
        "alerts_to_managers": to_managers,
        "manager_messages": manager_messages,
        "nights": figures["nights"],
        "contacts": figures["contacts"],
        "reached": figures["reached"],
        "time_to_human_s": figures["time_to_human_s"],
        "over_target": len(over),
        "over_target_pct": round(100 * len(over) / max(1, len(waits)), 2),
        "over_target_s": over,
        "messages_sent": figures["messages_sent"],
        "alert_calls": figures["alert_calls"],
        "failures": figures["failures"][:5],
        "wall_s": round(result.wall_s, 1),
    }


async def _managers_paged(session: AsyncSession) -> tuple[int, int, int]:
    """(alerts of KINDS, how many of them texted or called a manager, those messages)."""
    ours = select(Alert.id).where(Alert.kind.in_(KINDS))
    alerts = await session.scalar(select(func.count()).select_from(ours.subquery()))
    to_managers = (
        select(OutboundMessage.alert_id)
        .join(Person, Person.id == OutboundMessage.person_id)
        .where(OutboundMessage.alert_id.in_(ours), Person.tier == Tier.MANAGER)
    )
    reached = await session.scalar(
        select(func.count(func.distinct(to_managers.subquery().c.alert_id)))
    )
    messages = await session.scalar(select(func.count()).select_from(to_managers.subquery()))
    return alerts or 0, reached or 0, messages or 0


def _one(variant: str, nights: int, seed: int, folder: str) -> dict[str, Any]:
    configure_logging(level="critical")
    logging.getLogger("sqlalchemy.pool").setLevel(logging.CRITICAL)
    return asyncio.run(_run(variant, nights, seed, folder))


def _markdown(doc: dict[str, Any]) -> str:
    lines = [
        "# Time to a human under the policies the service permits",
        "",
        f"{doc['when']}, {doc['nights']} nights each (seed {doc['seed']}, SQLite, no faults), "
        f"load average {doc['load_before']} at start, {doc['load_after']} at end.",
        "",
        f"Command: `{doc['command']}`",
        "",
        "| policy (missed call, voicemail, text) | contacts | p50 / p90 / p99 / max s | "
        "over 3 min | messages sent | alert calls | alerts that reached a manager |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in doc["variants"]:
        t = {k: round(v, 1) for k, v in row["time_to_human_s"].items()}
        first, second = row["steps"][0], row["steps"][1]
        name = (
            f"`{row['variant']}`: {' + '.join(first['targets'])} at once, "
            f"{' + '.join(second['targets'])} after {first['wait_minutes']} min"
        )
        lines.append(
            f"| {name} | {row['contacts']} | {t['p50']} / {t['p90']} / {t['p99']} / {t['max']} | "
            f"{row['over_target']} ({row['over_target_pct']}%) | {row['messages_sent']} | "
            f"{row['alert_calls']} | {row['alerts_to_managers']} of {row['alerts']} "
            f"({row['manager_messages']} messages) |"
        )
    lines += [
        "",
        "Alerts that reached a manager: of the missed-call, voicemail and text alerts, how many "
        "texted or called someone of the senior manager tier (and those messages). The variants "
        "share the nights' contacts, but each runs its own phones' and people's draws, so the "
        "alerts differ a little.",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nights", type=int, default=100)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with (
        tempfile.TemporaryDirectory(prefix="bench-policies-") as folder,
        ProcessPoolExecutor(max_workers=len(VARIANTS)) as pool,
    ):
        futures = [
            pool.submit(_one, variant, args.nights, args.seed, folder) for variant in VARIANTS
        ]
        rows = [future.result() for future in futures]
    doc = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.nights.policies " + " ".join(sys.argv[1:]),
        "nights": args.nights,
        "seed": args.seed,
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "variants": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "nights-policies.json").write_text(json.dumps(doc, indent=2, default=str) + "\n")
    (RESULTS / "nights-policies.md").write_text(_markdown(doc))
    print((RESULTS / "nights-policies.md").read_text())
    return 0 if not any(row["failures"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
