"""Small hand-made problems and a brute-force solver to hold the real one to."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from rota_solver import parse_problem
from rota_solver.check import hard_rule_violations
from rota_solver.check_figures import exact_figures
from rota_solver.model import Assignment, Problem
from rota_solver.options import OptionModel
from rota_solver.relax import CountModel
from rota_solver.stages import Stages

MONDAY = datetime.fromisoformat("2027-01-04T00:00:00+00:00")


def at(day: float, hour: float = 0) -> str:
    """An ISO time `day` days and `hour` hours after Monday 4 Jan 2027, UTC."""
    return (MONDAY + timedelta(days=day, hours=hour)).isoformat()


def shift(
    ident: str,
    day: float,
    *,
    hour: float = 17,
    hours: float = 16,
    tier: str = "worker",
    **fields: Any,
) -> dict[str, Any]:
    start = MONDAY + timedelta(days=day, hours=hour)
    return {
        "id": ident,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=hours)).isoformat(),
        "tier": tier,
        **fields,
    }


def person(ident: str, tier: str = "worker", **fields: Any) -> dict[str, Any]:
    return {"id": ident, "name": fields.pop("name", ident.upper()), "tier": tier, **fields}


def document(
    shifts: list[dict[str, Any]], people: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    return {
        "format": "oncall-rota-problem/1",
        "tiers": extra.pop("tiers", ["worker", "manager"]),
        "categories": extra.pop("categories", ["weekend"]),
        "shifts": shifts,
        "people": people,
        **extra,
    }


def all_rotas(problem: Problem) -> Iterator[tuple[Assignment, ...]]:
    """Every way to give each shift `required` people of any tier (legal or not)."""
    options = [
        list(itertools.combinations([p.id for p in problem.people], s.required))
        for s in problem.shifts
    ]
    # Frozen shifts can hold any number of people, so offer their baseline people as well.
    if problem.baseline is not None:
        for i, s in enumerate(problem.shifts):
            if problem.is_frozen(s):
                held = tuple(a.person for a in problem.baseline.assignments if a.shift == s.id)
                options[i] = [held]
    for choice in itertools.product(*options):
        yield tuple(
            Assignment(s.id, pid)
            for s, who in zip(problem.shifts, choice, strict=True)
            for pid in who
        )


Key = tuple[int, Fraction, Fraction, Fraction, int]


def brute_force(problem: Problem) -> tuple[Key, tuple[Assignment, ...]] | None:
    """The lexicographically best legal rota by enumeration, or None if there is none."""
    best: tuple[Key, tuple[Assignment, ...]] | None = None
    for rota in all_rotas(problem):
        if hard_rule_violations(problem, rota):
            continue
        f = exact_figures(problem, rota)
        key = (
            f.changes or 0,
            f.fairness,
            f.category_fairness,
            f.broken_requests,
            f.spread_pairs,
        )
        if best is None or key < best[0]:
            best = (key, rota)
    return best


def held_options(doc: dict[str, Any]) -> tuple[Problem, Stages, OptionModel]:
    """The problem of `doc`, its stages run through fairness and category fairness (proven
    optimal), and the workers' kind options with those figures held, as the stages hold them."""
    problem = parse_problem(doc)
    stages = Stages(problem, 1, 0, None)
    stages.first_rota(10)
    for name in ("fairness", "category_fairness"):
        assert stages.stage(name, 10).status == "optimal"
    rm, figures = stages.rm, stages.figures
    limits = {name: held["worker"] for name, held in stages.held.items()}
    options = OptionModel(
        rm,
        "worker",
        CountModel.kinds(rm),
        [figures["fairness"], figures["category_fairness"]],
        limits=limits,
    )
    assert not options.too_many
    return problem, stages, options
