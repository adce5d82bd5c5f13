"""Time to a human under escalation policies the service permits: the same nights, three policies.

The p99 time to a human (issue 15: under 3 minutes) is set by the escalation policy and the
people, not by the machine: with the default policy a missed call or a text whose alert call
the duty worker does not accept waits for a text reply (20 s to 7 min by the stated odds) or for
the senior manager's step five minutes later. This runs the same seeded nights (SQLite, no
faults: the policy is what is compared) under:

- `default`: the duty worker (text and call), the senior manager 5 minutes later, 10 more;
- `workers`: both workers on duty at once (text and call), the senior manager 5 minutes later;
- `manager`: the duty worker and the senior manager at once, again 10 minutes later.

Each is a policy the escalation page accepts (targets, channels, wait). Every variant runs in a
process of its own, at once.

Run: .venv/bin/python -m bench.nights.policies [--nights 60] [--seed 3]
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

from oncall.db.engine import Database
from oncall.domain.escalation.policies import update_policy
from oncall.log import configure_logging
from oncall.sim import SimConfig, simulate
from oncall.sim.model import night_bounds
from oncall.sim.report import summary
from oncall.sim.run import ZONE
from oncall.sim.world import prepare_database

RESULTS = Path(__file__).parents[1] / "results"
TARGET_S = 180.0
# variant -> (first step's targets, its wait in minutes, second step's targets)
VARIANTS: dict[str, tuple[list[str], int, list[str]]] = {
    "default": (["duty_worker"], 5, ["senior_manager"]),
    "workers": (["duty_worker", "second_worker"], 5, ["senior_manager"]),
    "manager": (["duty_worker", "senior_manager"], 10, ["senior_manager"]),
}
KINDS = ("missed_call", "voicemail", "inbound_sms")


async def _run(variant: str, nights: int, seed: int, folder: str) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{Path(folder) / f'{variant}.db'}"
    config = SimConfig(seed=seed, nights=nights, fault_rate=0.0)
    loaded = night_bounds(config.first_night, ZONE)[0] - timedelta(days=1)
    await prepare_database(url, zone=ZONE, loaded_at=loaded)
    first, wait, second = VARIANTS[variant]
    if variant != "default":
        database = Database.connect(url)
        try:
            async with database.sessions() as session:
                for kind in KINDS:
                    steps = [
                        {"targets": first, "channels": ["sms", "voice"], "wait_minutes": wait},
                        {"targets": second, "channels": ["sms", "voice"], "wait_minutes": 10},
                    ]
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
    return {
        "variant": variant,
        "first_step": {"targets": first, "wait_minutes": wait},
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
        "over 3 min | messages sent | alert calls |",
        "|---|---|---|---|---|---|",
    ]
    for row in doc["variants"]:
        t = row["time_to_human_s"]
        step = row["first_step"]
        name = (
            f"`{row['variant']}`: {' + '.join(step['targets'])} at once, "
            f"next step after {step['wait_minutes']} min"
        )
        lines.append(
            f"| {name} | {row['contacts']} | {t['p50']} / {t['p90']} / {t['p99']} / {t['max']} | "
            f"{row['over_target']} ({row['over_target_pct']}%) | {row['messages_sent']} | "
            f"{row['alert_calls']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nights", type=int, default=60)
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
