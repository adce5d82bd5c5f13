"""Local search over a few people at a time, aimed at the people who carry a figure.

Once fairness and category fairness are held, each person keeps one or two loads and counts of
each category, so a better rota differs from the last one by exchanges between people: a wish
is kept when the person who asked takes the shift from whoever has it and hands back another of
the same kind. CP-SAT's own neighbourhoods pick variables by the constraint graph or at random
and rarely free exactly the people such an exchange needs. Here each step frees every shift of
a few people (who asked for a broken request and who holds what they asked for, or who has a
close pair, and a few others at random), fixes everyone else, and solves that small model to
optimality, keeping the rota if it is better.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import timedelta

from rota_solver.build import RotaModel
from rota_solver.options import Fixed, request_touches

Chosen = set[tuple[int, int]]  # (shift, person) pairs of a rota


# How much likelier a broken request is aimed at when the bound's counts keep it.
_KEPT_WEIGHT = 4


def broken_request_people(rm: RotaModel, counts: list[Fixed]) -> Callable[[Chosen], list[set[int]]]:
    """For each request the rota breaks: who asked, and who holds the shifts it names; the
    more often where the counts that reach the bound (`counts`: person, shifts, how many)
    keep it, since the rota at the bound most likely differs there."""
    problem = rm.problem
    index = {p.id: k for k, p in enumerate(problem.people)}
    given: dict[tuple[int, int], int] = {}
    for pi, shifts, n in counts:
        for si in shifts:
            given[si, pi] = n
    counted = {pi for pi, _, _ in counts}
    asks = []
    for r, q in enumerate(problem.requests):
        pi = index[q.person]
        hits = [si for si in rm.candidates(pi) if request_touches(problem, si, r)]
        if any((si, pi) in rm.x for si in hits):
            taken = any(given.get((si, pi), 0) for si in hits)
            kept = pi in counted and taken != (q.kind == "avoid")
            asks.append((pi, q.kind == "avoid", set(hits), _KEPT_WEIGHT if kept else 1))

    def aims(chosen: Chosen) -> list[set[int]]:
        found = []
        for pi, avoid, hits, weight in asks:
            took = any((si, pi) in chosen for si in hits)
            if took == avoid:
                found += [{pi} | {pj for si, pj in chosen if si in hits}] * weight
        return found

    return aims


def close_pair_people(rm: RotaModel) -> Callable[[Chosen], list[set[int]]]:
    """For each close pair (two of a person's shifts starting closer than spread_hours): that
    person, and who holds the shifts starting within spread_hours of the pair, the people one of
    its shifts can most likely be exchanged with."""
    problem = rm.problem
    spread = problem.rules.spread_hours
    near = timedelta(hours=float(spread or 0))

    def aims(chosen: Chosen) -> list[set[int]]:
        if spread is None:
            return []
        mine: dict[int, list[int]] = {}
        for si, pi in chosen:
            mine.setdefault(pi, []).append(si)
        found = []
        for pi, shifts in mine.items():
            starts = sorted(problem.shifts[si].start for si in shifts)
            for a, b in itertools.pairwise(starts):
                if b - a < near:
                    around = {
                        pj for si, pj in chosen if a - near < problem.shifts[si].start < b + near
                    }
                    found.append({pi} | around)
        return found

    return aims


def pick_people(
    aims: list[set[int]], everyone: list[int], rng: random.Random, targets: int, others: int
) -> set[int]:
    """A few of the aimed-at groups of people, and a few others at random."""
    picked: set[int] = set()
    for group in rng.sample(aims, min(targets, len(aims))):
        picked |= group
    rest = [pi for pi in everyone if pi not in picked]
    picked |= set(rng.sample(rest, min(others, len(rest))))
    return picked
