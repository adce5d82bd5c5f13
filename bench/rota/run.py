"""Rota solver bench: a family of random instances per size, measured against the targets.

Run `.venv/bin/python -m bench.rota.run` for the whole family (10 seeds per size) and the single
scenarios; `--sizes month year --count 3` for part of it; `--label before` to keep a run under
another name (the latest label in report.ORDER, the default, is held to the targets); `--report`
to rewrite bench/results/rota.md from the runs kept. Exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.rota.family import SIZES
from bench.rota.measure import run_one, summarise
from bench.rota.report import ORDER, markdown, targets_met

RESULTS = Path(__file__).resolve().parents[1] / "results"
WORKERS = 2
# Per-instance time limits: the targets are well inside them, so a miss shows as a time.
LIMITS = {
    "month": 20.0,
    "dst_month": 20.0,
    "christmas_month": 20.0,
    "county_month": 60.0,
    "year": 120.0,
    "county_year": 180.0,
}


def _family(sizes: list[str], count: int, first: int, deterministic: bool) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for size in sizes:
        runs = []
        for seed in range(first, first + count):
            run = run_one(size, seed, LIMITS[size], WORKERS, deterministic)
            stages = " ".join(
                f"{name}={s['s']:.2f}{'' if s['status'] == 'optimal' else '!'}"
                for name, s in run["stages"].items()
            )
            print(
                f"{size} seed {seed}: {run['status']} {run['wall_s']:.2f} s (first rota "
                f"{run['first_rota_s'] or 0:.2f}) {stages} load {run['load']}"
                + (f" CHECK FAILED {run['violations']}" if run["violations"] else ""),
                flush=True,
            )
            runs.append(run)
        result[size] = {"limit_s": LIMITS[size], "summary": summarise(runs), "runs": runs}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", nargs="*", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--label", default=ORDER[-1])
    parser.add_argument("--deterministic", action="store_true")
    parser.add_argument("--scenarios", action="store_true", help="also the single scenarios")
    parser.add_argument("--report", action="store_true", help="only rewrite rota.md")
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"rota-family-{args.label}.json"
    if not args.report:
        meta = {
            "when": datetime.now().astimezone().isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
            f"python {platform.python_version()}",
            "load_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "workers": WORKERS,
            "deterministic": args.deterministic,
        }
        family = _family(args.sizes, args.count, args.first_seed, args.deterministic)
        saved: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        saved.setdefault("sizes", {}).update(family)
        saved.setdefault("meta", {}).update({size: meta for size in family})
        if args.scenarios:
            from bench.rota.scenarios import all_scenarios

            saved["scenarios"] = [t.__dict__ for t in all_scenarios()]
        path.write_text(json.dumps(saved, indent=1, ensure_ascii=False) + "\n")
    (RESULTS / "rota.md").write_text(markdown(RESULTS))
    missed = targets_met(RESULTS)
    for line in missed:
        print(line)
    return 1 if any(line.startswith("MISS") for line in missed) else 0


if __name__ == "__main__":
    sys.exit(main())
