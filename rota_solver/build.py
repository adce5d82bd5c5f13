"""The CP-SAT model of a rota: one boolean per (shift, person) that could be given, rules, costs."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import timedelta

from ortools.sat.python import cp_model

from rota_solver.figures import could_take
from rota_solver.model import Problem

Term = cp_model.IntVar | int


@dataclass(frozen=True, slots=True)
class Group:
    """A family of hard constraints that an explanation can switch off as one."""

    kind: str  # cover, skill, pin, rest, window, min_shifts, max_shifts
    shift: int = -1
    person: int = -1
    detail: int = -1  # skill index or window index


class RotaModel:
    """Builds the model; with `explain`, every rule group hangs on an assumption literal."""

    def __init__(self, problem: Problem, *, explain: bool = False) -> None:
        self.problem = problem
        self.model = cp_model.CpModel()
        self.explain = explain
        self.groups: dict[int, Group] = {}
        self._literals: dict[Group, cp_model.IntVar] = {}
        self.x: dict[tuple[int, int], cp_model.IntVar] = {}
        self.fixed: set[tuple[int, int]] = set()
        # Booleans that a figure only bounds from below (a close pair, a broken request): the
        # least value each can take, from the assignment booleans, for hinting a rota.
        self.derived: list[tuple[int, list[int], str]] = []  # (var, inputs, all/any/none)
        shifts, people = problem.shifts, problem.people
        base: set[tuple[str, str]] = set()
        if problem.baseline is not None:
            base = {(a.shift, a.person) for a in problem.baseline.assignments}
        self.frozen = [problem.is_frozen(s) for s in shifts]
        for si, s in enumerate(shifts):
            for pi, p in enumerate(people):
                if self.frozen[si]:
                    if (s.id, p.id) in base:
                        self.fixed.add((si, pi))
                elif could_take(p, s):
                    self.x[si, pi] = self.model.new_bool_var(f"x[{s.id},{p.id}]")
        self._cover()
        self._pins()
        for pi in range(len(people)):
            self._rest(pi)
            self._windows(pi)
            self._counts(pi)

    def tidy(self, values: list[int]) -> list[int]:
        """A copy of a solution with every derived boolean at its least value: a rota found
        for an earlier figure leaves them anywhere above it, which would overstate a figure
        and make a poor start for minimising it. Every constraint still holds: the figures only
        fall to their true values, which the relaxation's bounds are below."""
        tidied = list(values)
        for var, inputs, mode in self.derived:
            if var < len(tidied):
                given = [tidied[i] for i in inputs]
                least = all(given) if mode == "all" else any(given)
                tidied[var] = int(least if mode != "none" else not any(given))
        return tidied

    def term(self, si: int, pi: int) -> Term:
        """The (shift, person) assignment as a variable, or 0/1 when it cannot change."""
        if (si, pi) in self.x:
            return self.x[si, pi]
        return 1 if (si, pi) in self.fixed else 0

    def candidates(self, pi: int) -> list[int]:
        """Shifts the person holds (frozen) or could be given."""
        return [
            si
            for si in range(len(self.problem.shifts))
            if (si, pi) in self.x or (si, pi) in self.fixed
        ]

    def _guard(self, group: Group) -> list[cp_model.IntVar]:
        """Enforcement literals for a constraint of `group` (none unless explaining)."""
        if not self.explain:
            return []
        if group not in self._literals:
            literal = self.model.new_bool_var(f"{group.kind}:{group.shift}:{group.person}")
            self._literals[group] = literal
            self.groups[literal.index] = group
            self.model.add_assumption(literal)
        return [self._literals[group]]

    def _add(self, constraint: cp_model.Constraint, group: Group) -> None:
        guard = self._guard(group)
        if guard:
            constraint.only_enforce_if(guard)

    def _forbid_all(self, terms: list[cp_model.IntVar], group: Group) -> None:
        for var in terms:
            self._add(self.model.add(var == 0), group)

    def _impossible(self, group: Group) -> None:
        guard = self._guard(group)
        # An empty clause is false; guarded, it says "this assumption cannot hold".
        self.model.add_bool_or([g.negated() for g in guard])

    def _cover(self) -> None:
        people = self.problem.people
        for si, s in enumerate(self.problem.shifts):
            if self.frozen[si]:
                continue
            terms = [self.x[si, pi] for pi in range(len(people)) if (si, pi) in self.x]
            self._add(self.model.add(sum(terms) == s.required), Group("cover", shift=si))
            for k, need in enumerate(s.skills):
                skilled = [
                    self.x[si, pi]
                    for pi, p in enumerate(people)
                    if (si, pi) in self.x and need.skill in p.skills
                ]
                group = Group("skill", shift=si, detail=k)
                self._add(self.model.add(sum(skilled) >= need.min), group)

    def _pins(self) -> None:
        sidx = {s.id: i for i, s in enumerate(self.problem.shifts)}
        pidx = {p.id: i for i, p in enumerate(self.problem.people)}
        for k, pin in enumerate(self.problem.pinned):
            si, pi = sidx[pin.shift], pidx[pin.person]
            group = Group("pin", shift=si, person=pi, detail=k)
            if (si, pi) in self.x:
                self._add(self.model.add(self.x[si, pi] == 1), group)
            elif (si, pi) not in self.fixed:
                self._impossible(group)

    def _rest(self, pi: int) -> None:
        shifts = self.problem.shifts
        rest = timedelta(hours=float(self.problem.rules.min_rest_hours))
        mine = sorted(self.candidates(pi), key=lambda si: shifts[si].start)
        starts = [shifts[si].start for si in mine]
        longest = max((shifts[si].end - shifts[si].start for si in mine), default=rest) + rest
        group = Group("rest", person=pi)
        previous: set[int] = set()
        # Conflicts form an interval graph ([start, end + rest) overlapping), so the cliques at
        # each start time cover every conflicting pair with one at-most-one each.
        for t in sorted(set(starts)):
            near = mine[bisect_right(starts, t - longest) : bisect_right(starts, t)]
            clique = {si for si in near if t < shifts[si].end + rest}
            if clique <= previous:
                continue  # already covered by the clique just before
            previous = clique
            if len(clique) < 2:
                continue
            free = [self.x[si, pi] for si in clique if (si, pi) in self.x]
            if any((si, pi) in self.fixed for si in clique):
                self._forbid_all(free, group)
            elif len(free) >= 2:
                self._add(self.model.add_at_most_one(free), group)

    def _windows(self, pi: int) -> None:
        shifts = self.problem.shifts
        mine = sorted(self.candidates(pi), key=lambda si: shifts[si].start)
        starts = [shifts[si].start for si in mine]
        for k, window in enumerate(self.problem.rules.windows):
            span = timedelta(hours=float(window.hours))
            group = Group("window", person=pi, detail=k)
            for t in sorted(set(starts)):
                inside = mine[bisect_left(starts, t) : bisect_left(starts, t + span)]
                free = [self.x[si, pi] for si in inside if (si, pi) in self.x]
                held = len(inside) - len(free)
                if not free or len(inside) <= window.max:
                    continue
                if held > window.max:
                    self._forbid_all(free, group)
                else:
                    self._add(self.model.add(sum(free) <= window.max - held), group)

    def _counts(self, pi: int) -> None:
        person = self.problem.people[pi]
        mine = self.candidates(pi)
        free = [self.x[si, pi] for si in mine if (si, pi) in self.x]
        held = len(mine) - len(free)
        if person.min_shifts is not None and person.min_shifts > held:
            group = Group("min_shifts", person=pi)
            self._add(self.model.add(sum(free) >= person.min_shifts - held), group)
        if person.max_shifts is not None and free and held + len(free) > person.max_shifts:
            group = Group("max_shifts", person=pi)
            if held > person.max_shifts:
                self._forbid_all(free, group)
            else:
                self._add(self.model.add(sum(free) <= person.max_shifts - held), group)
