"""The coordinator's fairness report: load against target per person, figures, broken requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class CategoryLine:
    count: int
    target: float
    dev: float


@dataclass(frozen=True, slots=True)
class PersonLine:
    """One person's month: what they carried in, took, should have taken, and carry out."""

    code: str
    name: str
    tier: str
    fte: float
    shifts: int
    carried: float
    load: float
    target: float
    dev: float
    categories: dict[str, CategoryLine]


@dataclass(frozen=True, slots=True)
class BrokenRequest:
    person: str
    kind: str
    weight: float
    what: str  # a shift id, or "start to end"


@dataclass(frozen=True, slots=True)
class FairnessReport:
    status: str
    people: list[PersonLine]
    objective: dict[str, Any]
    proven: dict[str, bool]
    tiers: dict[str, dict[str, float]]
    broken: list[BrokenRequest]
    explanation: list[str]
    wall_time_s: float | None


def fairness_report(problem: dict[str, Any], solution: dict[str, Any]) -> FairnessReport:
    """The report for a stored problem and its solution (both as JSON documents)."""
    given = {(a["shift"], a["person"]) for a in solution.get("assignments", [])}
    counts: dict[str, int] = {}
    for _, person in given:
        counts[person] = counts.get(person, 0) + 1
    figures = {p["id"]: p for p in solution.get("people", [])}
    lines = []
    for person in problem["people"]:
        found = figures.get(person["id"])
        if found is None:
            continue  # an infeasible solution has no figures
        lines.append(
            PersonLine(
                code=person["id"],
                name=person.get("name", ""),
                tier=person["tier"],
                fte=float(person.get("fte", 1.0)),
                shifts=counts.get(person["id"], 0),
                carried=float(person.get("balance", {}).get("load", 0.0)),
                load=float(found["load"]),
                target=float(found["target"]),
                dev=float(found["dev"]),
                categories={
                    name: CategoryLine(int(c["count"]), float(c["target"]), float(c["dev"]))
                    for name, c in found.get("categories", {}).items()
                },
            )
        )
    stats = solution.get("stats") or {}
    return FairnessReport(
        status=str(solution.get("status", "")),
        people=lines,
        objective=dict(solution.get("objective") or {}),
        proven=dict(solution.get("proven") or {}),
        tiers=dict(solution.get("tiers") or {}),
        broken=broken_requests(problem, given) if given else [],
        explanation=[e["message"] for e in solution.get("explanation", [])],
        wall_time_s=stats.get("wall_time_s"),
    )


def broken_requests(problem: dict[str, Any], given: set[tuple[str, str]]) -> list[BrokenRequest]:
    """The requests the rota breaks, read as the spec reads them."""
    spans = {
        s["id"]: (datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"]))
        for s in problem["shifts"]
    }
    broken = []
    for request in problem.get("requests", []):
        person, kind = request["person"], request["kind"]
        if "shift" in request:
            hit = (request["shift"], person) in given
            what = request["shift"]
        else:
            start = datetime.fromisoformat(request["start"])
            end = datetime.fromisoformat(request["end"])
            hit = any(p == person and spans[s][0] < end and start < spans[s][1] for s, p in given)
            what = f"{request['start']} to {request['end']}"
        if hit == (kind == "avoid"):
            broken.append(BrokenRequest(person, kind, float(request.get("weight", 1.0)), what))
    return broken
