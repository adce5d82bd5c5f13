"""Invalid input is rejected before solving, with messages that name the field."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rota_solver import InvalidProblem, parse_problem, problem_to_json
from rota_solver.cli import main
from tests.rota_solver.helpers import document, person, shift

FIXTURE = Path(__file__).parent / "fixtures" / "rota-problem-small.json"


def _good() -> dict[str, Any]:
    return document(
        [shift("s1", 0), shift("s2", 1, tier="manager", weight=2, skills=[])],
        [person("a", skills=["fostering"]), person("m", "manager", balance={"load": 1})],
        requests=[{"person": "a", "kind": "avoid", "shift": "s1"}],
        rules={"min_rest_hours": 11, "windows": [{"hours": 168, "max": 2}], "spread_hours": 48},
        pinned=[{"shift": "s2", "person": "m"}],
        baseline={"assignments": [{"shift": "s1", "person": "a"}]},
    )


def test_example_is_accepted_as_is() -> None:
    problem = parse_problem(json.loads(FIXTURE.read_text()))
    assert len(problem.shifts) == 36
    assert problem.rules.windows[0].max == 2


def test_round_trip_through_json() -> None:
    problem = parse_problem(_good())
    assert parse_problem(problem_to_json(problem)) == problem


def _set(path: list[str | int], value: object) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


CASES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    (
        "end before start",
        _set(["shifts", 0, "end"], "2027-01-03T00:00:00+00:00"),
        "shifts[0].end: before start",
    ),
    (
        "no offset",
        _set(["shifts", 1, "start"], "2027-01-05T17:00:00"),
        "shifts[1].start: time has no UTC offset",
    ),
    ("bad time", _set(["shifts", 0, "start"], "tomorrow"), "shifts[0].start: not an ISO 8601 time"),
    ("unknown tier", _set(["shifts", 0, "tier"], "boss"), "shifts[0].tier: unknown tier"),
    ("required 0", _set(["shifts", 0, "required"], 0), "shifts[0].required"),
    ("weight 0", _set(["shifts", 0, "weight"], 0), "shifts[0].weight: must be greater than 0"),
    ("weight text", _set(["shifts", 0, "weight"], "1"), "shifts[0].weight: must be a number"),
    ("unknown category", _set(["shifts", 0, "categories"], ["xmas"]), "shifts[0].categories[0]"),
    ("duplicate shift id", _set(["shifts", 1, "id"], "s1"), "shifts[1].id: duplicate id"),
    ("negative fte", _set(["people", 0, "fte"], -1), "people[0].fte: must not be negative"),
    (
        "bad balance key",
        _set(["people", 0, "balance"], {"holiday": 1}),
        "people[0].balance.holiday",
    ),
    (
        "min above max",
        _set(["people", 0, "max_shifts"], 0),
        "people[0].min_shifts: greater than max_shifts",
    ),
    (
        "leave no offset",
        _set(
            ["people", 0, "unavailable"],
            [{"start": "2027-01-04T00:00:00", "end": "2027-01-05T00:00:00+00:00"}],
        ),
        "people[0].unavailable[0].start",
    ),
    (
        "unknown request person",
        _set(["requests", 0, "person"], "zz"),
        "requests[0].person: unknown person",
    ),
    (
        "unknown request shift",
        _set(["requests", 0, "shift"], "zz"),
        "requests[0].shift: unknown shift",
    ),
    ("bad request kind", _set(["requests", 0, "kind"], "hate"), "requests[0].kind"),
    ("unknown pin shift", _set(["pinned", 0, "shift"], "zz"), "pinned[0].shift: unknown shift"),
    (
        "unknown baseline person",
        _set(["baseline", "assignments", 0, "person"], "zz"),
        "baseline.assignments[0].person",
    ),
    (
        "frozen no offset",
        _set(["baseline", "frozen_before"], "2027-01-05T00:00:00"),
        "baseline.frozen_before",
    ),
    ("negative rest", _set(["rules", "min_rest_hours"], -1), "rules.min_rest_hours"),
    ("window max text", _set(["rules", "windows", 0, "max"], "2"), "rules.windows[0].max"),
    ("wrong format", _set(["format"], "rota/2"), "format: must be"),
    ("fte 0 pinned", _set(["people", 1, "fte"], 0), "pinned[0].person: 'm' has fte 0"),
]


@pytest.mark.parametrize(("label", "change", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_field_is_named(
    label: str, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    doc = _good()
    doc["people"][0]["min_shifts"] = 1
    change(doc)
    with pytest.raises(InvalidProblem) as caught:
        parse_problem(doc)
    assert any(expected in message for message in caught.value.errors), caught.value.errors


@pytest.mark.parametrize(
    "path",
    [
        [],
        ["shifts", 0],
        ["shifts", 0, "skills", 0],
        ["people", 0],
        ["people", 0, "unavailable", 0],
        ["requests", 0],
        ["rules"],
        ["rules", "windows", 0],
        ["pinned", 0],
        ["baseline"],
        ["baseline", "assignments", 0],
    ],
    ids=str,
)
def test_unknown_keys_are_rejected_at_every_level(path: list[str | int]) -> None:
    doc = _good()
    doc["shifts"][0]["skills"] = [{"skill": "fostering", "min": 1}]
    doc["people"][0]["unavailable"] = [
        {"start": "2027-02-01T00:00:00+00:00", "end": "2027-02-02T00:00:00+00:00"}
    ]
    target: Any = doc
    for key in path:
        target = target[key]
    target["colour"] = "blue"
    with pytest.raises(InvalidProblem) as caught:
        parse_problem(doc)
    assert any("colour: unknown key" in m for m in caught.value.errors), caught.value.errors


def test_every_problem_is_reported_not_just_the_first() -> None:
    doc = copy.deepcopy(_good())
    doc["shifts"][0]["end"] = "2027-01-01T00:00:00+00:00"
    doc["people"][0]["fte"] = "full"
    doc["pinned"][0]["person"] = "nobody"
    with pytest.raises(InvalidProblem) as caught:
        parse_problem(doc)
    assert len(caught.value.errors) == 3


def test_missing_required_sections() -> None:
    with pytest.raises(InvalidProblem) as caught:
        parse_problem({"format": "oncall-rota-problem/1"})
    assert {"tiers: required", "shifts: required", "people: required"} <= set(caught.value.errors)


@pytest.mark.parametrize(("label", "change", "expected"), CASES, ids=[c[0] for c in CASES])
def test_command_line_exits_2_naming_the_field(
    label: str,
    change: Callable[[dict[str, Any]], None],
    expected: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = _good()
    doc["people"][0]["min_shifts"] = 1
    change(doc)
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(doc))
    assert main(["solve", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing was solved
    assert expected in captured.err
