"""The run's report: figures as JSON (`--json FILE`) and markdown with a text chart."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from oncall.sim.model import FAULT_KINDS
from oncall.sim.run import SimResult
from oncall.sim.truth import ContactTruth

# Time-to-human buckets for the chart: (upper bound in seconds, label).
BUCKETS = [
    (30, "< 30 s"),
    (60, "30-60 s"),
    (120, "1-2 min"),
    (180, "2-3 min"),
    (300, "3-5 min"),
    (600, "5-10 min"),
    (1200, "10-20 min"),
    (math.inf, "> 20 min"),
]
BAR_WIDTH = 40


def percentile(values: Iterable[float], p: float) -> float | None:
    """Nearest rank, as the service's KPIs compute it."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def _times(contacts: list[ContactTruth]) -> dict[str, float | None]:
    waits = [t for c in contacts if (t := c.time_to_human_s) is not None]
    return {
        "p50": percentile(waits, 50),
        "p90": percentile(waits, 90),
        "p99": percentile(waits, 99),
        "max": max(waits) if waits else None,
    }


def _group(contacts: list[ContactTruth], failed: set[str]) -> dict[str, Any]:
    reached = sum(1 for c in contacts if c.reached)
    return {
        "contacts": len(contacts),
        "reached": reached,
        "unreached": len(contacts) - reached,
        "failed_checks": sum(1 for c in contacts if c.sid in failed),
        "time_to_human_s": _times(contacts),
    }


def summary(result: SimResult) -> dict[str, Any]:
    """The figures of a run (the `--json` document)."""
    contacts = [c for night in result.nights for c in night.contacts]
    failed = {sid for check in result.checks for sid in check.failed_sids}
    checks = result.checks
    struck = {
        kind: sum(1 for night in result.nights if any(f[0] == kind for f in night.faults))
        for kind in FAULT_KINDS
    }
    per_fault = {}
    for kind in result.config.fault_kinds:
        group = _group([c for c in contacts if kind in c.faults], failed)
        per_fault[kind] = {"nights_struck": struck.get(kind, 0), **group}
    reached = sum(1 for c in contacts if c.reached)
    return {
        "seed": result.config.seed,
        "fault_rate": result.config.fault_rate,
        "database": result.database.split(":", 1)[0],
        "nights": len(result.nights),
        "contacts": len(contacts),
        "calls": sum(1 for c in contacts if c.channel == "voice"),
        "texts": sum(1 for c in contacts if c.channel == "sms"),
        "reached": reached,
        "unreached": len(contacts) - reached,
        "reached_pct": round(100.0 * reached / len(contacts), 3) if contacts else None,
        "answered_directly": sum(1 for c in contacts if c.accepted_by is not None),
        "time_to_human_s": _times(contacts),
        "messages_sent": sum(c.messages_sent for c in checks),
        "duplicate_messages": sum(c.duplicate_messages for c in checks),
        "lost_steps": sum(c.lost_steps for c in checks),
        "late_steps": sum(c.late_steps for c in checks),
        "given_up_messages": sum(c.given_up for c in checks),
        "chain_ok": all(c.chain_ok for c in checks),
        "kpi_ok": all(c.kpi_ok for c in checks),
        "replies_sent": sum(n.replies_sent for n in result.nights),
        "alert_calls": sum(n.alert_calls for n in result.nights),
        "overlapping_calls": sum(n.overlapping_calls for n in result.nights),
        "faults": sum(len(n.faults) for n in result.nights),
        "replicas": result.config.replicas,
        "replica_restarts": result.restarts,
        "failed_passes": sum(n.failed_passes for n in result.nights),
        "per_fault": per_fault,
        "by_line": {
            line: _group([c for c in contacts if c.line == line], failed)
            for line in sorted({c.line for c in contacts})
        },
        "webhooks": result.webhooks,
        "db_round_trips": result.db_round_trips,
        "db_round_trips_per_webhook": round(result.db_round_trips / result.webhooks, 1)
        if result.db_round_trips is not None and result.webhooks
        else None,
        "wall_s": round(result.wall_s, 1),
        "nights_per_minute": round(60 * len(result.nights) / result.wall_s, 2)
        if result.wall_s
        else None,
        "failures": result.failures,
    }


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} s"


def chart(result: SimResult) -> list[str]:
    """Time to a human, as a text histogram."""
    waits = [t for n in result.nights for c in n.contacts if (t := c.time_to_human_s) is not None]
    unreached = sum(1 for n in result.nights for c in n.contacts if not c.reached)
    counts = [0] * len(BUCKETS)
    for wait in waits:
        counts[next(i for i, (bound, _) in enumerate(BUCKETS) if wait < bound)] += 1
    rows = [*zip([label for _, label in BUCKETS], counts, strict=True), ("unreached", unreached)]
    most = max([count for _, count in rows] + [1])
    lines = ["```", "time to a human (contacts)"]
    for label, count in rows:
        bar = "█" * math.ceil(BAR_WIDTH * count / most) if count else ""
        lines.append(f"{label:>10} | {bar} {count}")
    lines.append("```")
    return lines


def markdown(result: SimResult) -> str:
    """The report a person reads."""
    figures = summary(result)
    times = figures["time_to_human_s"]
    verdict = "all invariants held" if not figures["failures"] else "INVARIANTS FAILED"
    lines = [
        f"# Night simulation: {figures['nights']} nights, seed {figures['seed']}, "
        f"fault rate {figures['fault_rate']}, {figures['database']}",
        "",
        f"**{verdict}.**",
        "",
        "| figure | value |",
        "|---|---|",
        f"| contacts (calls + texts) | {figures['contacts']} "
        f"({figures['calls']} + {figures['texts']}) |",
        f"| calls that arrived while another was going | {figures['overlapping_calls']} |",
        f"| reached a human | {figures['reached']} ({figures['reached_pct']}%) |",
        f"| answered directly (pressed 1 and connected) | {figures['answered_directly']} |",
        f"| time to a human p50 / p90 / p99 / max | {_s(times['p50'])} / {_s(times['p90'])} / "
        f"{_s(times['p99'])} / {_s(times['max'])} |",
        f"| escalation messages and alert calls sent | {figures['messages_sent']} |",
        f"| duplicated / lost / late steps | {figures['duplicate_messages']} / "
        f"{figures['lost_steps']} / {figures['late_steps']} |",
        f"| messages given up after retries (the alert moved on) | "
        f"{figures['given_up_messages']} |",
        f"| hash chain verifies | {'yes' if figures['chain_ok'] else 'NO'} |",
        f"| service KPIs equal the ground truth | {'yes' if figures['kpi_ok'] else 'NO'} |",
        f"| faults struck | {figures['faults']} |",
        f"| replicas, restarts, passes that failed (and were retried) | {figures['replicas']}, "
        f"{figures['replica_restarts']}, {figures['failed_passes']} |",
        f"| webhooks served, wall time | {figures['webhooks']}, {figures['wall_s']} s "
        f"({figures['nights_per_minute']} nights a minute) |",
        f"| the service's database round trips (a webhook) | {figures['db_round_trips']} "
        f"({figures['db_round_trips_per_webhook']}) |",
        "",
        *chart(result),
        "",
        "## Per fault kind (contacts that arrived while it was active)",
        "",
        "| fault | nights struck | contacts | reached | p50 | p99 | max | failed checks |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, group in figures["per_fault"].items():
        t = group["time_to_human_s"]
        lines.append(
            f"| {kind} | {group['nights_struck']} | {group['contacts']} | {group['reached']} | "
            f"{_s(t['p50'])} | {_s(t['p99'])} | {_s(t['max'])} | {group['failed_checks']} |"
        )
    if figures["failures"]:
        lines += ["", "## Invariant failures", ""]
        lines += [f"- {failure}" for failure in figures["failures"][:200]]
    return "\n".join(lines) + "\n"
