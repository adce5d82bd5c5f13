"""Validate a problem document and turn it into a Problem, naming every bad field."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from rota_solver.fields import InvalidProblem, Reader
from rota_solver.model import (
    PROBLEM_FORMAT,
    Assignment,
    Baseline,
    Person,
    Problem,
    Request,
    Rules,
    Shift,
    SkillMin,
    Unavailable,
    Window,
)

_TOP = {"format", "name", "tiers", "categories", "shifts", "people", "requests", "rules"}
_TOP |= {"pinned", "baseline"}
_SHIFT = {"id", "start", "end", "tier", "required", "weight", "categories", "skills"}
_PERSON = {"id", "name", "tier", "fte", "skills", "balance", "min_shifts", "max_shifts"}
_PERSON |= {"unavailable"}
_REQUEST = {"person", "kind", "weight", "shift", "start", "end"}


def _names(r: Reader, value: object, path: str, allowed: set[str] | None) -> tuple[str, ...]:
    names: list[str] = []
    for index, item in enumerate(r.items(value, path)):
        name = r.text(item, f"{path}[{index}]")
        if name and allowed is not None and name not in allowed:
            r.fail(f"{path}[{index}]", f"unknown name {name!r}")
        if name in names:
            r.fail(f"{path}[{index}]", f"duplicate {name!r}")
        names.append(name)
    return tuple(names)


def _shift(r: Reader, raw: object, path: str, tiers: set[str], cats: set[str]) -> Shift | None:
    d = r.obj(raw, path, _SHIFT)
    if d is None:
        return None
    start, end = r.time(d.get("start"), f"{path}.start"), r.time(d.get("end"), f"{path}.end")
    if start is not None and end is not None and end <= start:
        r.fail(f"{path}.end", "before start" if end < start else "equal to start")
    tier = r.ref(d.get("tier"), f"{path}.tier", dict.fromkeys(tiers), "tier")
    required = r.integer(d.get("required", 1), f"{path}.required", minimum=1)
    weight = r.number(d.get("weight", 1), f"{path}.weight", sign="positive")
    skills: list[SkillMin] = []
    for index, item in enumerate(r.items(d.get("skills"), f"{path}.skills")):
        sp = f"{path}.skills[{index}]"
        s = r.obj(item, sp, {"skill", "min"})
        if s is not None:
            minimum = r.integer(s.get("min"), f"{sp}.min", minimum=0)
            skills.append(SkillMin(r.text(s.get("skill"), f"{sp}.skill"), minimum or 0))
    categories = _names(r, d.get("categories"), f"{path}.categories", cats)
    if start is None or end is None or required is None or weight is None:
        return None
    ident = r.text(d.get("id"), f"{path}.id")
    return Shift(ident, start, end, tier, required, weight, categories, tuple(skills))


def _person(r: Reader, raw: object, path: str, tiers: set[str], cats: set[str]) -> Person | None:
    d = r.obj(raw, path, _PERSON)
    if d is None:
        return None
    ident = r.text(d.get("id"), f"{path}.id")
    name = r.text(d.get("name", ident), f"{path}.name", empty_ok=True)
    tier = r.ref(d.get("tier"), f"{path}.tier", dict.fromkeys(tiers), "tier")
    fte = r.number(d.get("fte", 1), f"{path}.fte", sign="nonnegative")
    skills = _names(r, d.get("skills"), f"{path}.skills", None)
    balance: dict[str, Fraction] = {}
    raw_balance = d.get("balance", {})
    if not isinstance(raw_balance, dict):
        r.fail(f"{path}.balance", "must be an object")
    else:
        for key, value in raw_balance.items():
            if key != "load" and key not in cats:
                r.fail(f"{path}.balance.{key}", "neither load nor a category")
            amount = r.number(value, f"{path}.balance.{key}", sign="any")
            if amount is not None:
                balance[str(key)] = amount
    bounds: list[int | None] = []
    for key in ("min_shifts", "max_shifts"):
        value = d.get(key)
        bounds.append(None if value is None else r.integer(value, f"{path}.{key}", minimum=0))
    if bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
        r.fail(f"{path}.min_shifts", "greater than max_shifts")
    leave: list[Unavailable] = []
    for index, item in enumerate(r.items(d.get("unavailable"), f"{path}.unavailable")):
        up = f"{path}.unavailable[{index}]"
        u = r.obj(item, up, {"start", "end", "reason"})
        if u is None:
            continue
        start, end = r.time(u.get("start"), f"{up}.start"), r.time(u.get("end"), f"{up}.end")
        reason = r.text(u.get("reason", ""), f"{up}.reason", empty_ok=True)
        if start is not None and end is not None:
            if end <= start:
                r.fail(f"{up}.end", "not after start")
            leave.append(Unavailable(start, end, reason))
    if fte is None:
        return None
    return Person(ident, name, tier, fte, skills, balance, bounds[0], bounds[1], tuple(leave))


def _request(
    r: Reader, raw: object, path: str, shifts: Mapping[str, object], people: Mapping[str, object]
) -> Request | None:
    d = r.obj(raw, path, _REQUEST)
    if d is None:
        return None
    person = r.ref(d.get("person"), f"{path}.person", people, "person")
    kind = d.get("kind")
    if kind not in ("avoid", "prefer"):
        r.fail(f"{path}.kind", "must be 'avoid' or 'prefer'")
    weight = r.number(d.get("weight", 1), f"{path}.weight", sign="positive")
    if "shift" in d:
        if "start" in d or "end" in d:
            r.fail(path, "give either shift or start/end, not both")
        shift = r.ref(d.get("shift"), f"{path}.shift", shifts, "shift")
        if weight is None or kind not in ("avoid", "prefer"):
            return None
        return Request(person, "avoid" if kind == "avoid" else "prefer", weight, shift=shift)
    start, end = r.time(d.get("start"), f"{path}.start"), r.time(d.get("end"), f"{path}.end")
    if start is not None and end is not None and end <= start:
        r.fail(f"{path}.end", "not after start")
    if weight is None or start is None or end is None or kind not in ("avoid", "prefer"):
        return None
    return Request(person, "avoid" if kind == "avoid" else "prefer", weight, start=start, end=end)


def _rules(r: Reader, raw: object) -> Rules:
    d = r.obj(raw, "rules", {"min_rest_hours", "windows", "spread_hours"})
    if d is None:
        return Rules()
    rest = r.number(d.get("min_rest_hours", 0), "rules.min_rest_hours", sign="nonnegative")
    windows: list[Window] = []
    for index, item in enumerate(r.items(d.get("windows"), "rules.windows")):
        wp = f"rules.windows[{index}]"
        w = r.obj(item, wp, {"hours", "max"})
        if w is not None:
            hours = r.number(w.get("hours"), f"{wp}.hours", sign="positive")
            most = r.integer(w.get("max"), f"{wp}.max", minimum=0)
            if hours is not None and most is not None:
                windows.append(Window(hours, most))
    spread = None
    if d.get("spread_hours") is not None:
        spread = r.number(d.get("spread_hours"), "rules.spread_hours", sign="nonnegative")
    return Rules(rest or Fraction(0), tuple(windows), spread)


def _pairs(
    r: Reader, value: object, path: str, shifts: Mapping[str, object], people: Mapping[str, object]
) -> tuple[Assignment, ...]:
    result: list[Assignment] = []
    for index, item in enumerate(r.items(value, path)):
        ip = f"{path}[{index}]"
        d = r.obj(item, ip, {"shift", "person"})
        if d is not None:
            pair = Assignment(
                r.ref(d.get("shift"), f"{ip}.shift", shifts, "shift"),
                r.ref(d.get("person"), f"{ip}.person", people, "person"),
            )
            if pair in result:
                r.fail(ip, "duplicate assignment")
            result.append(pair)
    return tuple(result)


def parse_problem(document: object) -> Problem:
    """Return the Problem in `document` (parsed JSON) or raise InvalidProblem listing all errors."""
    r = Reader()
    d = r.obj(document, "", _TOP)
    if d is None:
        raise InvalidProblem(r.errors)
    if d.get("format") != PROBLEM_FORMAT:
        r.fail("format", f"must be {PROBLEM_FORMAT!r}")
    for key in ("tiers", "shifts", "people"):
        if key not in d:
            r.fail(key, "required")
    name = r.text(d.get("name", ""), "name", empty_ok=True)
    tiers = _names(r, d.get("tiers"), "tiers", None)
    cats = _names(r, d.get("categories"), "categories", None)
    raw_shifts = r.items(d.get("shifts"), "shifts")
    raw_people = r.items(d.get("people"), "people")
    shift_list = [
        _shift(r, s, f"shifts[{i}]", set(tiers), set(cats)) for i, s in enumerate(raw_shifts)
    ]
    people_list = [
        _person(r, p, f"people[{i}]", set(tiers), set(cats)) for i, p in enumerate(raw_people)
    ]
    r.unique_ids([s.id if isinstance(s, Shift) else "" for s in shift_list], "shifts")
    r.unique_ids([p.id if isinstance(p, Person) else "" for p in people_list], "people")
    # References are checked against every id that was given, even in an entry with other faults.
    shift_ids: dict[str, object] = {str(s.get("id")): s for s in raw_shifts if isinstance(s, dict)}
    person_ids: dict[str, object] = {str(p.get("id")): p for p in raw_people if isinstance(p, dict)}
    shifts = {s.id: s for s in shift_list if s is not None}
    people = {p.id: p for p in people_list if p is not None}
    requests = [
        _request(r, q, f"requests[{i}]", shift_ids, person_ids)
        for i, q in enumerate(r.items(d.get("requests"), "requests"))
    ]
    rules = _rules(r, d.get("rules", {}))
    pinned = _pairs(r, d.get("pinned"), "pinned", shift_ids, person_ids)
    for index, pin in enumerate(pinned):
        person = people.get(pin.person)
        if person is not None and person.fte == 0:
            r.fail(f"pinned[{index}].person", f"{pin.person!r} has fte 0 and is never rostered")
    baseline = None
    if d.get("baseline") is not None:
        b = r.obj(d.get("baseline"), "baseline", {"assignments", "frozen_before"})
        if b is not None:
            frozen = b.get("frozen_before")
            baseline = Baseline(
                _pairs(r, b.get("assignments"), "baseline.assignments", shift_ids, person_ids),
                None if frozen is None else r.time(frozen, "baseline.frozen_before"),
            )
    if r.errors:
        raise InvalidProblem(r.errors)
    return Problem(
        tiers=tiers,
        shifts=tuple(shifts.values()),
        people=tuple(people.values()),
        name=name,
        categories=cats,
        requests=tuple(q for q in requests if q is not None),
        rules=rules,
        pinned=pinned,
        baseline=baseline,
    )
