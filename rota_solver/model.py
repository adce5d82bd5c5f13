"""Typed, frozen dataclasses for a rota problem and its solution (spec: oncall-rota-*/1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Literal

PROBLEM_FORMAT = "oncall-rota-problem/1"
SOLUTION_FORMAT = "oncall-rota-solution/1"
FIGURES = ("changes", "fairness", "category_fairness", "broken_requests", "spread_pairs")

Status = Literal["optimal", "feasible", "infeasible"]
RequestKind = Literal["avoid", "prefer"]


@dataclass(frozen=True, slots=True)
class Unavailable:
    start: datetime
    end: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SkillMin:
    skill: str
    min: int


@dataclass(frozen=True, slots=True)
class Shift:
    id: str
    start: datetime
    end: datetime
    tier: str
    required: int = 1
    weight: Fraction = Fraction(1)
    categories: tuple[str, ...] = ()
    skills: tuple[SkillMin, ...] = ()


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    tier: str
    fte: Fraction = Fraction(1)
    skills: tuple[str, ...] = ()
    # Mapping rather than dict so nobody is tempted to mutate a frozen person.
    balance: Mapping[str, Fraction] = field(default_factory=dict)
    min_shifts: int | None = None
    max_shifts: int | None = None
    unavailable: tuple[Unavailable, ...] = ()


@dataclass(frozen=True, slots=True)
class Request:
    person: str
    kind: RequestKind
    weight: Fraction = Fraction(1)
    shift: str | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Window:
    hours: Fraction
    max: int


@dataclass(frozen=True, slots=True)
class Rules:
    min_rest_hours: Fraction = Fraction(0)
    windows: tuple[Window, ...] = ()
    spread_hours: Fraction | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    shift: str
    person: str


@dataclass(frozen=True, slots=True)
class Baseline:
    assignments: tuple[Assignment, ...] = ()
    frozen_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    tiers: tuple[str, ...]
    shifts: tuple[Shift, ...]
    people: tuple[Person, ...]
    name: str = ""
    categories: tuple[str, ...] = ()
    requests: tuple[Request, ...] = ()
    rules: Rules = Rules()
    pinned: tuple[Assignment, ...] = ()
    baseline: Baseline | None = None

    def is_frozen(self, shift: Shift) -> bool:
        """A shift is history when it starts before the baseline's frozen_before."""
        return (
            self.baseline is not None
            and self.baseline.frozen_before is not None
            and shift.start < self.baseline.frozen_before
        )


@dataclass(frozen=True, slots=True)
class CategoryFigures:
    count: int
    target: float
    dev: float


@dataclass(frozen=True, slots=True)
class PersonFigures:
    id: str
    tier: str
    load: float
    target: float
    dev: float
    categories: Mapping[str, CategoryFigures]


@dataclass(frozen=True, slots=True)
class Objective:
    changes: int | None
    fairness: float
    category_fairness: float
    broken_requests: float
    spread_pairs: int


@dataclass(frozen=True, slots=True)
class TierFigures:
    max_overload: float
    max_underload: float


@dataclass(frozen=True, slots=True)
class Explanation:
    message: str
    constraints: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StageStats:
    figure: str
    status: str  # "optimal", "feasible" or "skipped"
    value: float | None
    bound: float | None
    wall_time_s: float


@dataclass(frozen=True, slots=True)
class Stats:
    wall_time_s: float
    stages: tuple[StageStats, ...]
    workers: int
    seed: int


@dataclass(frozen=True, slots=True)
class Solution:
    status: Status
    assignments: tuple[Assignment, ...]
    people: tuple[PersonFigures, ...]
    objective: Objective | None
    proven: Mapping[str, bool]
    tiers: Mapping[str, TierFigures]
    explanation: tuple[Explanation, ...]
    stats: Stats | None


@dataclass(frozen=True, slots=True)
class Progress:
    """What a progress callback hears while a stage is being solved."""

    stage: str
    elapsed_s: float
    best: float | None
    bound: float | None
