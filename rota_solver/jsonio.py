"""Problems and solutions to and from their JSON documents."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import cast

from rota_solver.model import (
    FIGURES,
    PROBLEM_FORMAT,
    SOLUTION_FORMAT,
    Assignment,
    CategoryFigures,
    Explanation,
    Objective,
    PersonFigures,
    Problem,
    Solution,
    TierFigures,
)

JSON = dict[str, object]


class InvalidSolution(ValueError):
    """The document is not a solution in the spec's format; `errors` says where."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _number(value: Fraction) -> int | float:
    return value.numerator if value.denominator == 1 else float(value)


def problem_to_json(problem: Problem) -> JSON:
    """The problem as a document that parse_problem reads back to an equal Problem."""
    doc: JSON = {
        "format": PROBLEM_FORMAT,
        "name": problem.name,
        "tiers": list(problem.tiers),
        "categories": list(problem.categories),
        "shifts": [
            {
                "id": s.id,
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "tier": s.tier,
                "required": s.required,
                "weight": _number(s.weight),
                "categories": list(s.categories),
                "skills": [{"skill": k.skill, "min": k.min} for k in s.skills],
            }
            for s in problem.shifts
        ],
        "people": [],
        "requests": [],
        "rules": {
            "min_rest_hours": _number(problem.rules.min_rest_hours),
            "windows": [{"hours": _number(w.hours), "max": w.max} for w in problem.rules.windows],
        },
        "pinned": [{"shift": a.shift, "person": a.person} for a in problem.pinned],
    }
    people = cast(list[JSON], doc["people"])
    for p in problem.people:
        person: JSON = {
            "id": p.id,
            "name": p.name,
            "tier": p.tier,
            "fte": _number(p.fte),
            "skills": list(p.skills),
            "balance": {k: _number(v) for k, v in p.balance.items()},
            "unavailable": [
                {"start": u.start.isoformat(), "end": u.end.isoformat(), "reason": u.reason}
                for u in p.unavailable
            ],
        }
        if p.min_shifts is not None:
            person["min_shifts"] = p.min_shifts
        if p.max_shifts is not None:
            person["max_shifts"] = p.max_shifts
        people.append(person)
    requests = cast(list[JSON], doc["requests"])
    for q in problem.requests:
        request: JSON = {"person": q.person, "kind": q.kind, "weight": _number(q.weight)}
        if q.shift is not None:
            request["shift"] = q.shift
        else:
            assert q.start is not None and q.end is not None
            request["start"], request["end"] = q.start.isoformat(), q.end.isoformat()
        requests.append(request)
    if problem.rules.spread_hours is not None:
        cast(JSON, doc["rules"])["spread_hours"] = _number(problem.rules.spread_hours)
    if problem.baseline is not None:
        baseline: JSON = {
            "assignments": [
                {"shift": a.shift, "person": a.person} for a in problem.baseline.assignments
            ]
        }
        if problem.baseline.frozen_before is not None:
            baseline["frozen_before"] = problem.baseline.frozen_before.isoformat()
        doc["baseline"] = baseline
    return doc


def solution_to_json(solution: Solution) -> JSON:
    """The solution document of the spec."""
    objective = solution.objective
    return {
        "format": SOLUTION_FORMAT,
        "status": solution.status,
        "assignments": [{"shift": a.shift, "person": a.person} for a in solution.assignments],
        "people": [
            {
                "id": p.id,
                "tier": p.tier,
                "load": p.load,
                "target": p.target,
                "dev": p.dev,
                "categories": {
                    c: {"count": f.count, "target": f.target, "dev": f.dev}
                    for c, f in p.categories.items()
                },
            }
            for p in solution.people
        ],
        "objective": None if objective is None else {f: getattr(objective, f) for f in FIGURES},
        "proven": dict(solution.proven),
        "tiers": {
            t: {"max_overload": f.max_overload, "max_underload": f.max_underload}
            for t, f in solution.tiers.items()
        },
        "explanation": [
            {"message": e.message, "constraints": list(e.constraints)} for e in solution.explanation
        ],
        "stats": None
        if solution.stats is None
        else {
            "wall_time_s": solution.stats.wall_time_s,
            "stages": [
                {
                    "figure": s.figure,
                    "status": s.status,
                    "value": s.value,
                    "bound": s.bound,
                    "wall_time_s": s.wall_time_s,
                }
                for s in solution.stats.stages
            ],
            "workers": solution.stats.workers,
            "seed": solution.stats.seed,
        },
    }


def _float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("not a number")
    return float(value)


def _obj(value: object) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise TypeError("not an object")
    return cast(Mapping[str, object], value)


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return value


def solution_from_json(doc: object) -> Solution:
    """Read a solution document (from any solver) so that it can be checked."""
    try:
        d = _obj(doc)
        if d.get("format") != SOLUTION_FORMAT:
            raise ValueError(f"format must be {SOLUTION_FORMAT!r}")
        status = d.get("status")
        if status not in ("optimal", "feasible", "infeasible"):
            raise ValueError("status must be optimal, feasible or infeasible")
        assignments = tuple(
            Assignment(str(_obj(a)["shift"]), str(_obj(a)["person"]))
            for a in _list(d.get("assignments", []))
        )
        people = tuple(
            PersonFigures(
                str(p["id"]),
                str(p["tier"]),
                _float(p["load"]),
                _float(p["target"]),
                _float(p["dev"]),
                {
                    str(c): CategoryFigures(
                        int(_float(_obj(f)["count"])),
                        _float(_obj(f)["target"]),
                        _float(_obj(f)["dev"]),
                    )
                    for c, f in _obj(p.get("categories", {})).items()
                },
            )
            for p in (_obj(raw) for raw in _list(d.get("people", [])))
        )
        raw_objective = d.get("objective")
        objective = None
        if raw_objective is not None:
            o = _obj(raw_objective)
            objective = Objective(
                None if o.get("changes") is None else int(_float(o["changes"])),
                _float(o["fairness"]),
                _float(o["category_fairness"]),
                _float(o["broken_requests"]),
                int(_float(o["spread_pairs"])),
            )
        proven = {str(k): bool(v) for k, v in _obj(d.get("proven", {})).items()}
        tiers = {
            str(t): TierFigures(_float(_obj(f)["max_overload"]), _float(_obj(f)["max_underload"]))
            for t, f in _obj(d.get("tiers", {})).items()
        }
        explanation = tuple(
            Explanation(str(_obj(e)["message"]), tuple(map(str, _list(_obj(e)["constraints"]))))
            for e in _list(d.get("explanation", []))
        )
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidSolution([f"solution: {error}"]) from error
    return Solution(
        status="optimal"
        if status == "optimal"
        else "feasible"
        if status == "feasible"
        else "infeasible",
        assignments=assignments,
        people=people,
        objective=objective,
        proven=proven,
        tiers=tiers,
        explanation=explanation,
        stats=None,
    )
