"""An independent checker: every hard rule and every figure, in plain Python, no CP-SAT."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from rota_solver.model import Person, Problem, Shift, Solution

# Reported figures are floats of exact rationals; anything further off is a wrong figure.
_TOLERANCE = 1e-6


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule or wrong figure."""

    rule: str
    message: str


def _clash(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def _takeable(person: Person, shift: Shift) -> bool:
    if person.tier != shift.tier or person.fte <= 0:
        return False
    return not any(_clash(u.start, u.end, shift.start, shift.end) for u in person.unavailable)


def _targets(problem: Problem, amount: dict[str, Fraction]) -> dict[str, Fraction]:
    out: dict[str, Fraction] = {}
    for tier in problem.tiers:
        shifts = [s for s in problem.shifts if s.tier == tier]
        total = Fraction(sum(amount[s.id] * s.required for s in shifts))
        members = [p for p in problem.people if p.tier == tier]
        avail = {}
        for p in members:
            could = Fraction(sum(amount[s.id] * s.required for s in shifts if _takeable(p, s)))
            avail[p.id] = could / total if total else Fraction(0)
        norm = Fraction(sum(p.fte * avail[p.id] for p in members))
        for p in members:
            share = p.fte * avail[p.id] / norm if norm else Fraction(0)
            out[p.id] = share * total
    return out


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
            elif not _takeable(p, s):
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


def _figures(
    problem: Problem, solution: Solution, pairs: list[tuple[Shift, Person]]
) -> list[Violation]:
    found: list[Violation] = []
    target = _targets(problem, {s.id: s.weight for s in problem.shifts})
    cat_target = {
        c: _targets(problem, {s.id: Fraction(int(c in s.categories)) for s in problem.shifts})
        for c in problem.categories
    }
    reported = {f.id: f for f in solution.people}
    fairness = cat_fairness = Fraction(0)
    extremes: dict[str, list[Fraction]] = defaultdict(list)
    for p in problem.people:
        mine = [s for s, q in pairs if q.id == p.id]
        load = Fraction(sum(s.weight for s in mine))
        dev = p.balance.get("load", Fraction(0)) + load - target[p.id]
        fairness += dev**2
        extremes[p.tier].append(dev)
        r = reported.get(p.id)
        if r is None:
            found.append(Violation("figures", f"people: {p.id} missing"))
        elif not (_close(r.load, load) and _close(r.target, target[p.id]) and _close(r.dev, dev)):
            found.append(Violation("figures", f"people {p.id}: load/target/dev wrong"))
        for c in problem.categories:
            count = sum(1 for s in mine if c in s.categories)
            cdev = p.balance.get(c, Fraction(0)) + count - cat_target[c][p.id]
            cat_fairness += cdev**2
            rc = None if r is None else r.categories.get(c)
            if r is not None and (
                rc is None
                or rc.count != count
                or not (_close(rc.target, cat_target[c][p.id]) and _close(rc.dev, cdev))
            ):
                found.append(Violation("figures", f"people {p.id}: category {c} wrong"))
    given = {(s.id, p.id) for s, p in pairs}
    changes = None
    if problem.baseline is not None:
        changes = len(given ^ {(a.shift, a.person) for a in problem.baseline.assignments})
    broken = Fraction(0)
    shifts = {s.id: s for s in problem.shifts}
    for q in problem.requests:
        if q.shift is not None:
            hit = (q.shift, q.person) in given
        else:
            hit = any(
                pid == q.person
                and q.start is not None
                and q.end is not None
                and _clash(shifts[sid].start, shifts[sid].end, q.start, q.end)
                for sid, pid in given
            )
        broken += q.weight if hit == (q.kind == "avoid") else 0
    spread = 0
    if problem.rules.spread_hours is not None:
        near = timedelta(hours=float(problem.rules.spread_hours))
        for p in problem.people:
            starts = [s.start for s, q in pairs if q.id == p.id]
            spread += sum(1 for a in starts for b in starts if a < b and b - a < near)
            spread += sum(1 for i, a in enumerate(starts) for b in starts[i + 1 :] if a == b)
    o = solution.objective
    if o is None:
        found.append(Violation("figures", "objective missing"))
    else:
        checks = [
            ("changes", o.changes, changes),
            ("fairness", o.fairness, fairness),
            ("category_fairness", o.category_fairness, cat_fairness),
            ("broken_requests", o.broken_requests, broken),
            ("spread_pairs", o.spread_pairs, spread),
        ]
        for figure, got, exact in checks:
            if not _close(None if got is None else float(got), exact):
                found.append(Violation("figures", f"objective.{figure}: {got}, exactly {exact}"))
    for tier, devs in extremes.items():
        t = solution.tiers.get(tier)
        if t is None or not (
            _close(t.max_overload, max(devs)) and _close(t.max_underload, min(devs))
        ):
            found.append(Violation("figures", f"tiers.{tier}: max_overload/max_underload wrong"))
    return found


def check(problem: Problem, solution: Solution) -> list[Violation]:
    """Every hard rule the solution breaks and every figure it reports wrongly."""
    if solution.status == "infeasible":
        found = []
        if solution.assignments:
            found.append(Violation("status", "an infeasible solution has assignments"))
        if not solution.explanation:
            found.append(Violation("status", "an infeasible solution has no explanation"))
        return found
    shifts = {s.id: s for s in problem.shifts}
    people = {p.id: p for p in problem.people}
    found = []
    pairs: list[tuple[Shift, Person]] = []
    seen = set()
    for a in solution.assignments:
        if a.shift not in shifts or a.person not in people:
            found.append(Violation("assignments", f"unknown shift or person {a.shift}/{a.person}"))
        elif (a.shift, a.person) in seen:
            found.append(Violation("assignments", f"{a.shift}: {a.person} given twice"))
        else:
            seen.add((a.shift, a.person))
            pairs.append((shifts[a.shift], people[a.person]))
    found.extend(_hard_rules(problem, pairs))
    found.extend(_figures(problem, solution, pairs))
    if solution.status == "optimal" and not all(solution.proven.values()):
        found.append(Violation("status", "optimal, but not every figure is proven"))
    return found
