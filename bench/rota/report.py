"""bench/results/rota.md from the family runs kept in bench/results (before, after, ideas)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.rota.measure import STAGES, summarise

# size -> worst whole-run seconds allowed, with every stage of every instance proven optimal.
TARGETS = {
    "month": 2.0,
    "dst_month": 2.0,
    "christmas_month": 2.0,
    "county_month": 10.0,
    "year": 60.0,
}
ORDER = (
    "before",
    "after",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
)  # the last one present is held to the targets
SHORT = {
    "changes": "chg",
    "fairness": "fair",
    "category_fairness": "cat",
    "broken_requests": "req",
    "spread_pairs": "spr",
}


def _runs(results: Path) -> dict[str, dict[str, Any]]:
    found = {p.stem.removeprefix("rota-family-"): p for p in results.glob("rota-family-*.json")}
    labels = [label for label in ORDER if label in found]
    labels += sorted(label for label in found if label not in ORDER)
    return {label: json.loads(found[label].read_text()) for label in labels}


def _verdict(size: str, summary: dict[str, Any]) -> str:
    if size not in TARGETS:
        return "no target"
    ok = (
        summary["not_proven"] == 0
        and summary["check_failures"] == 0
        and summary["total"].get("worst", 1e9) <= TARGETS[size]
    )
    return "pass" if ok else "MISS"


def _table(label: str, run: dict[str, Any]) -> list[str]:
    lines = [
        f"### {label}",
        "",
        "Seconds, median / worst over the instances; `!n` = n instances where the stage was "
        "not proven optimal within the limit (worst proven gap after it). CPU: the process's "
        "CPU seconds for the whole solve (both workers; less inflated by other load than wall "
        "time, – where not recorded).",
        "",
        "| size | n | limit | load | first rota | "
        + " | ".join(SHORT[s] for s in STAGES)
        + " | all stages | CPU | not proven | check fails | target |",
        "|---|---|---|---|---|" + "---|" * len(STAGES) + "---|---|---|---|---|",
    ]
    for size, data in run.get("sizes", {}).items():
        s = summarise(data["runs"])  # from the runs, so a newer summary reads older runs too
        cells = []
        for name in STAGES:
            st = s["stages"].get(name)
            if st is None:
                cells.append("–")
                continue
            cell = f"{st['median']:.2f} / {st['worst']:.2f}"
            if st["not_proven"]:
                bounded = st["not_proven"] - st.get("no_bound", 0)
                gap = f"gap {st['worst_gap']:.1%}" if bounded else ""
                unbounded = (
                    f"{st['no_bound']} after an unproven stage" if st.get("no_bound") else ""
                )
                cell += f" !{st['not_proven']} ({'; '.join(x for x in (gap, unbounded) if x)})"
            cells.append(cell)
        target = f"≤ {TARGETS[size]:g} s" if size in TARGETS else ""
        lines.append(
            f"| {size} | {s['instances']} | {data['limit_s']:g} | "
            f"{s['load']['median']:.1f}–{s['load']['worst']:.1f} | "
            + (
                f"{s['first_rota']['median']:.2f} / {s['first_rota']['worst']:.2f} | "
                if s["first_rota"]
                else "– | "
            )
            + " | ".join(cells)
            + f" | {s['total']['median']:.2f} / {s['total']['worst']:.2f} | "
            + (f"{s['cpu']['median']:.1f} / {s['cpu']['worst']:.1f}" if s.get("cpu") else "–")
            + f" | {s['not_proven']}"
            + (f" ({s['no_rota']} no rota)" if s.get("no_rota") else "")
            + f" | {s['check_failures']} | {target} {_verdict(size, s)} |"
        )
    meta = run.get("meta", {})
    if meta:
        first = next(iter(meta.values()))
        lines += ["", f"Machine: {first['machine']}; {first['workers']} workers."]
        for size, m in meta.items():
            lines.append(f"- {size}: run {m['when']}, load average at start {m['load_at_start']}")
    return [*lines, ""]


def markdown(results: Path) -> str:
    runs = _runs(results)
    lines = [
        "# Rota solver bench",
        "",
        "A family of random instances per size (`bench/rota/family.py`: the service's own",
        "templates and Jersey's bank holidays, random leave, FTE, skills, requests, carried",
        "balances, and for some months a repair of a published rota with frozen history), seeds",
        "0–9 unless noted, 2 workers, solved with `rota_solver.solve` and every solution checked",
        "by the independent checker. Rerun: `.venv/bin/python -m bench.rota.run`.",
        "",
    ]
    for label, run in runs.items():
        lines += _table(label, run)
    ideas = results / "rota-ideas.md"
    if ideas.exists():
        lines += [ideas.read_text().rstrip(), ""]
    # The single scenarios of the latest run that measured them.
    after = next((runs[lb] for lb in reversed(ORDER) if runs.get(lb, {}).get("scenarios")), {})
    for scenario in after.get("scenarios", []):
        if scenario is after["scenarios"][0]:
            lines += ["## Single scenarios", "", "| scenario | target | measured | result |"]
            lines += ["|---|---|---|---|"]
        verdict = "pass" if scenario["passed"] else "MISS"
        lines.append(
            f"| {scenario['name']} | {scenario['target']} | {scenario['measured']} | {verdict} |"
        )
    return "\n".join(lines) + "\n"


def targets_met(results: Path) -> list[str]:
    """One line per size of the latest run (see ORDER): pass or MISS against its target."""
    runs = _runs(results)
    after = next((runs[label] for label in reversed(ORDER) if label in runs), {})
    lines = []
    for size, data in after.get("sizes", {}).items():
        s = data["summary"]
        lines.append(
            f"{_verdict(size, s)}  {size}: worst {s['total']['worst']:.2f} s, "
            f"{s['not_proven']} not proven, {s['check_failures']} check failures"
        )
    for scenario in after.get("scenarios", []):
        lines.append(f"{'pass' if scenario['passed'] else 'MISS'}  {scenario['name']}")
    return lines
