"""The spread stage's time-window local search: every rota it keeps obeys the whole model.

A window step builds a model of a few weeks of its own, with the rota outside as constants and
each person's load and counts inside held; the rota it returns must keep every constraint of
the full rota model (hard rules and the earlier figures held), which `violations` checks one by
one, and the independent checker's hard rules as well.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rota_solver import parse_problem
from rota_solver.check import hard_rule_violations
from rota_solver.model import Assignment
from rota_solver.stages import Infeasible, Stages
from rota_solver.window import WindowSearch, value_at, violations
from tests.rota_solver.helpers import at, document, person, shift


def _staged(doc: dict[str, Any]) -> Stages:
    """The problem's stages run up to the spread stage, one worker."""
    stages = Stages(parse_problem(doc), 1, 0, None)
    stages.first_rota(10)
    for name in stages.figures:
        if name != "spread_pairs":
            stages.stage(name, 10)
    return stages


def _search(stages: Stages, steps: int) -> tuple[list[int], list[int]]:
    """The rota before and after `steps` window steps aiming at no close pair."""
    rm, figures = stages.rm, stages.figures
    held = tuple(figures[f] for f in ("changes", "broken_requests") if f in stages.held)
    search = WindowSearch(rm, 0, figures["spread_pairs"], held)
    assert stages.values is not None
    start = rm.tidy(stages.values)
    done = [0]

    def stop() -> bool:
        done[0] += 1
        return done[0] > steps

    return start, search.search(start, lambda: 0, stop, lambda _: None)


def _rota(stages: Stages, values: list[int]) -> tuple[Assignment, ...]:
    stages.values = values
    return stages.assignments()


def _pairs(stages: Stages, values: list[int]) -> int:
    return value_at(stages.figures["spread_pairs"].expr, values)


def _nights(days: int) -> list[dict[str, Any]]:
    return [
        shift(f"n{d}", d, weight=1.5 if d % 7 >= 5 else 1, categories=["weekend"] * (d % 7 >= 5))
        for d in range(days)
    ]


def test_window_steps_take_a_rota_to_no_close_pair() -> None:
    # Four people, three weeks of nights: each can have a night every four days, so a rota
    # without a close pair (under 60 h apart) exists; the first rota found has several.
    doc = document(
        _nights(21),
        [person(p) for p in "abcd"],
        rules={"min_rest_hours": 24, "spread_hours": 60},
    )
    stages = _staged(doc)
    start, found = _search(stages, 200)
    assert _pairs(stages, start) > 0
    assert _pairs(stages, found) == 0
    assert violations(stages.rm.model, found) == 0
    assert hard_rule_violations(stages.rm.problem, _rota(stages, found)) == []


def test_violations_finds_a_rota_that_breaks_the_model() -> None:
    doc = document(_nights(7), [person(p) for p in "abc"], rules={"min_rest_hours": 24})
    stages = _staged(doc)
    assert stages.values is not None
    values = list(stages.values)
    assert violations(stages.rm.model, values) == 0
    # Give night 0 to everyone: its cover and the earlier figures' values break.
    for (si, _), var in stages.rm.x.items():
        if si == 0:
            values[var.index] = 1
    assert violations(stages.rm.model, values) > 0


def test_keeps_refuses_a_rota_that_moves_a_load() -> None:
    doc = document(
        _nights(14),
        [person(p) for p in "abcd"],
        rules={"min_rest_hours": 24, "spread_hours": 60},
    )
    stages = _staged(doc)
    rm, figures = stages.rm, stages.figures
    search = WindowSearch(rm, 0, figures["spread_pairs"], (figures["broken_requests"],))
    assert stages.values is not None
    before = rm.tidy(stages.values)
    # Night 0 passes from its holder to someone else: two people's loads move.
    holder = next(pi for (si, pi), var in rm.x.items() if si == 0 and before[var.index])
    other = next(pi for (si, pi) in rm.x if si == 0 and pi != holder)
    after = list(before)
    after[rm.x[0, holder].index], after[rm.x[0, other].index] = 0, 1
    assert not search.keeps(before, rm.tidy(after))
    assert search.keeps(before, before)


@st.composite
def problems(draw: st.DrawFn) -> dict[str, Any]:
    """A few weeks of nights and some day shifts, with the rules a window step must keep."""
    days = draw(st.integers(8, 16))
    shifts = []
    for d in range(days):
        weekend = d % 7 >= 5
        shifts.append(
            shift(
                f"n{d}",
                d,
                weight=1.5 if weekend else 1,
                categories=["weekend"] if weekend else [],
                required=draw(st.sampled_from([1, 1, 2])),
                skills=[{"skill": "f", "min": 1}] if draw(st.integers(0, 4)) == 0 else [],
            )
        )
        if draw(st.integers(0, 3)) == 0:
            shifts.append(shift(f"d{d}", d, hour=9, hours=8))
    people = []
    for i in range(draw(st.integers(4, 7))):
        fields: dict[str, Any] = {
            "fte": draw(st.sampled_from([0.5, 1, 1, 0.8])),
            "skills": ["f"] if draw(st.integers(0, 2)) else [],
            "balance": {"load": draw(st.sampled_from([-1, 0, 0.5]))},
        }
        if draw(st.booleans()):
            day = draw(st.integers(0, days - 1))
            fields["unavailable"] = [{"start": at(day), "end": at(day + 3), "reason": "leave"}]
        if draw(st.integers(0, 4)) == 0:
            fields["max_shifts"] = draw(st.integers(3, 8))
        if draw(st.integers(0, 4)) == 0:
            fields["min_shifts"] = draw(st.integers(0, 3))
        people.append(person(f"p{i}", **fields))
    rules: dict[str, Any] = {
        "min_rest_hours": draw(st.sampled_from([0, 12, 24])),
        "spread_hours": draw(st.sampled_from([48, 72, 96])),
    }
    if draw(st.booleans()):
        rules["windows"] = [{"hours": 168, "max": draw(st.integers(2, 4))}]
    requests = []
    for _ in range(draw(st.integers(0, 6))):
        who = draw(st.sampled_from(people))["id"]
        if draw(st.booleans()):
            request = {"shift": draw(st.sampled_from(shifts))["id"]}
        else:
            day = draw(st.integers(0, days - 1))
            request = {"start": at(day), "end": at(day + 2)}
        kind = draw(st.sampled_from(["avoid", "prefer"]))
        requests.append({"person": who, "kind": kind, **request})
    extra: dict[str, Any] = {"rules": rules, "requests": requests}
    if draw(st.integers(0, 3)) == 0:
        extra["pinned"] = [
            {
                "shift": draw(st.sampled_from(shifts))["id"],
                "person": draw(st.sampled_from(people))["id"],
            }
        ]
    if draw(st.integers(0, 3)) == 0:
        # A repair: the published rota gives each night to someone; the first days are history.
        names = [p["id"] for p in people]
        extra["baseline"] = {
            "assignments": [
                {"shift": s["id"], "person": draw(st.sampled_from(names))} for s in shifts
            ],
            "frozen_before": at(draw(st.integers(0, 4)), 12),
        }
    return document(shifts, people, tiers=["worker"], **extra)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_every_rota_the_window_search_keeps_obeys_the_whole_model(doc: dict[str, Any]) -> None:
    try:
        stages = _staged(doc)
    except Infeasible:
        stages = None
    assume(stages is not None and stages.values is not None)
    assert stages is not None
    start, found = _search(stages, 30)
    assert violations(stages.rm.model, found) == 0
    assert hard_rule_violations(stages.rm.problem, _rota(stages, found)) == []
    assert _pairs(stages, found) <= _pairs(stages, start)
