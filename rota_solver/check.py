"""An independent checker: every hard rule and every figure, in plain Python, no CP-SAT."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction

from rota_solver.check_figures import exact_figures, takeable
from rota_solver.model import Assignment, Person, Problem, Shift, Solution

# Reported figures are floats of exact rationals; anything further off is a wrong figure.
_TOLERANCE = 1e-6


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule or wrong figure."""

    rule: str
    message: str


def _close(reported: float | None, exact: Fraction | int | None) -> bool:
    if reported is None or exact is None:
        return reported is None and exact is None
    return math.isclose(reported, float(exact), rel_tol=_TOLERANCE, abs_tol=_TOLERANCE)


def _hard_rules(problem: Problem, pairs: list[tuple[Shift, Person]]) -> list[Violation]:
    found: list[Violation] = []
    base = set()
    if problem.baseline is not None:
        base = {(a.shift, a.person) for a in problem.baseline.assignments}
    by_shift: dict[str, list[Person]] = defaultdict(list)
    by_person: dict[str, list[Shift]] = defaultdict(list)
    for s, p in pairs:
        by_shift[s.id].append(p)
        by_person[p.id].append(s)
    for s in problem.shifts:
        given = by_shift[s.id]
        if problem.is_frozen(s):
            want = {pid for sid, pid in base if sid == s.id}
            if {p.id for p in given} != want:
                found.append(Violation("frozen", f"{s.id}: frozen shift changed from baseline"))
            continue
        if len(given) != s.required:
            found.append(Violation("cover", f"{s.id}: {len(given)} given, {s.required} needed"))
        for p in given:
            if p.tier != s.tier:
                found.append(Violation("tier", f"{s.id}: {p.id} is of tier {p.tier}"))
            elif p.fte <= 0:
                found.append(Violation("fte", f"{s.id}: {p.id} has fte 0"))
            elif not takeable(p, s):
                found.append(Violation("unavailable", f"{s.id}: {p.id} is unavailable"))
        for need in s.skills:
            have = sum(1 for p in given if need.skill in p.skills)
            if have < need.min:
                found.append(
                    Violation("skills", f"{s.id}: {have} with {need.skill}, {need.min} needed")
                )
    for pin in problem.pinned:
        if pin.person not in {p.id for p in by_shift[pin.shift]}:
            found.append(Violation("pinned", f"{pin.shift}: pinned {pin.person} missing"))
    rest = timedelta(hours=float(problem.rules.min_rest_hours))
    for p in problem.people:
        mine = sorted(by_person[p.id], key=lambda s: s.start)
        live = [not problem.is_frozen(s) for s in mine]
        for i, a in enumerate(mine):
            for j in range(i + 1, len(mine)):
                b = mine[j]
                if (live[i] or live[j]) and b.start < a.end + rest:
                    found.append(Violation("rest", f"{p.id}: {a.id} and {b.id} too close"))
        for window in problem.rules.windows:
            span = timedelta(hours=float(window.hours))
            for a in mine:
                inside = [j for j, b in enumerate(mine) if a.start <= b.start < a.start + span]
                if len(inside) > window.max and any(live[j] for j in inside):
                    found.append(
                        Violation(
                            "window",
                            f"{p.id}: {len(inside)} starts in {window.hours} h from {a.id}",
                        )
                    )
        if p.min_shifts is not None and len(mine) < p.min_shifts:
            found.append(Violation("min_shifts", f"{p.id}: {len(mine)} < {p.min_shifts}"))
        if p.max_shifts is not None and len(mine) > p.max_shifts and any(live):
            found.append(Violation("max_shifts", f"{p.id}: {len(mine)} > {p.max_shifts}"))
    return found


def _figures(problem: Problem, solution: Solution) -> list[Violation]:
    found: list[Violation] = []
    exact = exact_figures(problem, solution.assignments)
    reported = {f.id: f for f in solution.people}
    for pid, e in exact.people.items():
        r = reported.get(pid)
        if r is None:
            found.append(Violation("figures", f"people: {pid} missing"))
            continue
        if not (_close(r.load, e.load) and _close(r.target, e.target) and _close(r.dev, e.dev)):
            found.append(Violation("figures", f"people {pid}: load/target/dev wrong"))
        for c, count in e.counts.items():
            rc = r.categories.get(c)
            if (
                rc is None
                or rc.count != count
                or not (
                    _close(rc.target, e.category_targets[c]) and _close(rc.dev, e.category_devs[c])
                )
            ):
                found.append(Violation("figures", f"people {pid}: category {c} wrong"))
    o = solution.objective
    if o is None:
        return [*found, Violation("figures", "objective missing")]
    checks = [
        ("changes", o.changes, exact.changes),
        ("fairness", o.fairness, exact.fairness),
        ("category_fairness", o.category_fairness, exact.category_fairness),
        ("broken_requests", o.broken_requests, exact.broken_requests),
        ("spread_pairs", o.spread_pairs, exact.spread_pairs),
    ]
    for figure, got, want in checks:
        if not _close(None if got is None else float(got), want):
            found.append(Violation("figures", f"objective.{figure}: {got}, exactly {want}"))
    for tier, (over, under) in exact.tiers.items():
        t = solution.tiers.get(tier)
        if t is None or not (_close(t.max_overload, over) and _close(t.max_underload, under)):
            found.append(Violation("figures", f"tiers.{tier}: max_overload/max_underload wrong"))
    return found


def hard_rule_violations(problem: Problem, assignments: Iterable[Assignment]) -> list[Violation]:
    """Every hard rule a rota breaks (unknown ids and duplicates included)."""
    shifts = {s.id: s for s in problem.shifts}
    people = {p.id: p for p in problem.people}
    found: list[Violation] = []
    pairs: list[tuple[Shift, Person]] = []
    seen = set()
    for a in assignments:
        if a.shift not in shifts or a.person not in people:
            found.append(Violation("assignments", f"unknown shift or person {a.shift}/{a.person}"))
        elif (a.shift, a.person) in seen:
            found.append(Violation("assignments", f"{a.shift}: {a.person} given twice"))
        else:
            seen.add((a.shift, a.person))
            pairs.append((shifts[a.shift], people[a.person]))
    return found + _hard_rules(problem, pairs)


def check(problem: Problem, solution: Solution) -> list[Violation]:
    """Every hard rule the solution breaks and every figure it reports wrongly."""
    found: list[Violation] = []
    if solution.status == "infeasible":
        if solution.assignments:
            found.append(Violation("status", "an infeasible solution has assignments"))
        if not solution.explanation:
            found.append(Violation("status", "an infeasible solution has no explanation"))
        return found
    found = hard_rule_violations(problem, solution.assignments)
    if not any(v.rule == "assignments" for v in found):
        found.extend(_figures(problem, solution))
    if solution.status == "optimal" and not all(solution.proven.values()):
        found.append(Violation("status", "optimal, but not every figure is proven"))
    return found
