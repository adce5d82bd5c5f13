"""Who people-aimed local search frees: who carries a broken request or a close pair."""

from __future__ import annotations

import random

from rota_solver import parse_problem
from rota_solver.build import RotaModel
from rota_solver.people import broken_request_people, close_pair_people, pick_people
from tests.rota_solver.helpers import document, person, shift


def _model() -> RotaModel:
    doc = document(
        [shift(f"d{d}", d) for d in range(0, 12, 2)],
        [person("a"), person("b"), person("c")],
        requests=[
            {"person": "a", "kind": "prefer", "shift": "d2"},
            {"person": "b", "kind": "avoid", "shift": "d4"},
            {"person": "c", "kind": "prefer", "shift": "d6"},
        ],
        rules={"min_rest_hours": 12, "spread_hours": 96},
    )
    return RotaModel(parse_problem(doc))


def _rota(rm: RotaModel, who: dict[str, str]) -> set[tuple[int, int]]:
    shifts = {s.id: k for k, s in enumerate(rm.problem.shifts)}
    people = {p.id: k for k, p in enumerate(rm.problem.people)}
    return {(shifts[s], people[p]) for s, p in who.items()}


def test_a_broken_wish_frees_who_asked_and_who_holds_the_shift() -> None:
    rm = _model()
    # a wanted d2 (c has it), b wanted to avoid d4 (b has it); c's wish for d6 is kept.
    chosen = _rota(rm, {"d0": "a", "d2": "c", "d4": "b", "d6": "c", "d8": "a", "d10": "b"})
    a, b, c = 0, 1, 2
    aims = broken_request_people(rm, [])(chosen)
    assert sorted(map(sorted, aims)) == [[a, c], [b]]
    # Where the bound's counts keep b's wish (b takes none of d4), it is aimed at more often.
    d4 = 2
    weighted = broken_request_people(rm, [(b, (d4,), 0)])(chosen)
    assert weighted.count({b}) == 4
    assert weighted.count({a, c}) == 1


def test_a_close_pair_frees_its_person_and_who_holds_the_shifts_around_it() -> None:
    rm = _model()
    # a's d0 and d2 are a close pair; b holds d4, within four days of it; c holds d6 and d10.
    chosen = _rota(rm, {"d0": "a", "d2": "a", "d4": "b", "d6": "c", "d8": "b", "d10": "c"})
    assert close_pair_people(rm)(chosen) == [{0, 1}]
    chosen = _rota(rm, {"d0": "a", "d6": "a", "d2": "b", "d8": "b", "d4": "c", "d10": "c"})
    assert close_pair_people(rm)(chosen) == []


def test_picks_the_aimed_groups_and_some_others() -> None:
    rng = random.Random(0)
    picked = pick_people([{0, 1}], list(range(6)), rng, targets=2, others=2)
    assert {0, 1} <= picked
    assert len(picked) == 4
