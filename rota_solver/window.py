"""Local search for close pairs over time windows, each a small model of its own.

CP-SAT's own local search copies and presolves the whole model for every neighbourhood: on a
year (30 700 variables) that is 0.3 to 1 s a neighbourhood against a few milliseconds of search.
Here a step frees every shift starting within a window of a few weeks and builds a model of that
window alone: its shifts' assignments, the hard rules that bind them (the rota outside the
window as constants), and each person's load, shift count and category counts inside the window
held at the last rota's, so that fairness, category fairness and the shift limits keep their
values whatever the window's new rota; broken requests may not rise. The model is solved to
optimality for the window's close pairs (a few hundred variables: milliseconds) and the rota
kept if it has fewer. Every step's rota keeps every rule of the full model; the search checks
the final rota against the full model's constraints all the same (`violations`).
"""

from __future__ import annotations

import itertools
import random
from bisect import bisect_left
from collections.abc import Callable
from datetime import datetime, timedelta

from ortools.sat.python import cp_model, cp_model_helper

from rota_solver.build import RotaModel
from rota_solver.options import request_touches
from rota_solver.squares import Figure, weight_unit

Chosen = Callable[[int, int], int]  # (shift, person) -> 1 if the rota gives it

_DAYS = (7, 10, 14, 21)  # how far a window reaches either side of its close pair, growing
_STEP_S = 2.0  # a step's limit: a window's model is solved in milliseconds, as a rule


def value_at(expr: cp_model.LinearExprT, values: list[int]) -> int:
    """An expression's value at a complete solution."""
    if not isinstance(expr, cp_model.LinearExpr):
        return int(expr)
    flat = cp_model_helper.FlatIntExpr(expr)
    total = int(flat.offset)
    for var, coeff in zip(flat.vars, flat.coeffs, strict=True):
        total += int(coeff) * values[int(var.index)]
    return total


class WindowSearch:
    """Window steps over one rota model; `values` is a complete solution of that model."""

    def __init__(self, rm: RotaModel, seed: int, figure: Figure, held: tuple[Figure, ...]) -> None:
        """`figure`: the spread figure; `held`: the figures a step may not raise beyond
        those its held loads and counts keep (broken requests, and changes in a repair)."""
        problem = rm.problem
        shifts = problem.shifts
        assert problem.rules.spread_hours is not None
        self.rm, self.figure, self.held = rm, figure, held
        self.base: set[tuple[int, int]] = set()
        if problem.baseline is not None:
            ids = {(a.shift, a.person) for a in problem.baseline.assignments}
            named = {
                (s.id, p.id): (si, pi)
                for si, s in enumerate(shifts)
                for pi, p in enumerate(problem.people)
            }
            self.base = {named[key] for key in ids if key in named and named[key] in rm.x}
        self.rng = random.Random(seed)
        self.near = timedelta(hours=float(problem.rules.spread_hours))
        self.rest = timedelta(hours=float(problem.rules.min_rest_hours))
        longest = max((s.end - s.start for s in shifts), default=timedelta(0))
        spans = [timedelta(hours=float(w.hours)) for w in problem.rules.windows]
        # Shifts starting this far from the window still bind its shifts through a rule.
        self.margin = max([self.near, longest + self.rest, *spans])
        self.order = sorted(range(len(shifts)), key=lambda si: shifts[si].start)
        self.starts = [shifts[si].start for si in self.order]
        unit = weight_unit([s.weight for s in shifts])
        self.units = [int(s.weight * unit) for s in shifts]
        people = range(len(problem.people))
        self.mine = {pi: set(rm.candidates(pi)) for pi in people}
        pinned = {(a.shift, a.person) for a in problem.pinned}
        self.pinned = {
            (si, pi) for (si, pi) in rm.x if (shifts[si].id, problem.people[pi].id) in pinned
        }
        index = {p.id: k for k, p in enumerate(problem.people)}
        unit_q = weight_unit([q.weight for q in problem.requests])
        # Per request: person, avoid?, weight, the shifts it touches among the person's.
        self.requests: list[tuple[int, bool, int, list[int]]] = []
        for r, q in enumerate(problem.requests):
            pi = index[q.person]
            hits = [si for si in sorted(self.mine[pi]) if request_touches(problem, si, r)]
            self.requests.append((pi, q.kind == "avoid", int(q.weight * unit_q), hits))
        # Shifts of one kind (weight and categories) can be exchanged without moving a load.
        self.kind = [(self.units[si], s.categories) for si, s in enumerate(shifts)]
        self.kinds: dict[tuple[int, tuple[str, ...]], list[int]] = {}
        for si, kind in enumerate(self.kind):
            if not rm.frozen[si]:
                self.kinds.setdefault(kind, []).append(si)

    def _given(self, values: list[int]) -> Chosen:
        rm = self.rm

        def given(si: int, pi: int) -> int:
            var = rm.x.get((si, pi))
            if var is not None:
                return int(values[var.index])
            return 1 if (si, pi) in rm.fixed else 0

        return given

    def close_pairs(self, values: list[int]) -> list[tuple[int, int]]:
        """The rota's close pairs, as (earlier shift, later shift) of one person."""
        shifts = self.rm.problem.shifts
        given = self._given(values)
        found = []
        for pi, mine in self.mine.items():
            taken = sorted((si for si in mine if given(si, pi)), key=lambda si: shifts[si].start)
            for a, b in itertools.pairwise(taken):
                if shifts[b].start - shifts[a].start < self.near:
                    found.append((a, b))
        return found

    def step(
        self,
        values: list[int],
        spans: list[tuple[datetime, datetime]],
        seconds: float,
        track: Callable[[cp_model.CpSolver], None],
    ) -> list[int] | None:
        """Re-solve the shifts starting in the spans ([lo, hi) each) for the fewest close
        pairs; a better complete solution (derived booleans not yet tidied), or None."""
        rm, problem = self.rm, self.rm.problem
        shifts = problem.shifts
        given = self._given(values)
        near: set[int] = set()
        free: set[int] = set()
        for lo, hi in spans:
            first = bisect_left(self.starts, lo - self.margin)
            last = bisect_left(self.starts, hi + self.margin)
            near.update(self.order[first:last])
            free.update(si for si in self.order[first:last] if lo <= shifts[si].start < hi)
        free = {si for si in free if not rm.frozen[si]}
        around = sorted(near, key=lambda si: (shifts[si].start, si))
        if not free:
            return None
        model = cp_model.CpModel()
        x: dict[tuple[int, int], cp_model.IntVar] = {}
        for si in sorted(free):
            for pi in range(len(problem.people)):
                if (si, pi) in rm.x:
                    x[si, pi] = model.new_bool_var("")
                    model.add_hint(x[si, pi], given(si, pi))

        def term(si: int, pi: int) -> cp_model.IntVar | int:
            return x[si, pi] if (si, pi) in x else given(si, pi)

        people = problem.people
        for si in free:
            s = shifts[si]
            model.add(sum(x[si, pi] for pi in range(len(people)) if (si, pi) in x) == s.required)
            for need in s.skills:
                skilled = [
                    x[si, pi]
                    for pi, p in enumerate(people)
                    if (si, pi) in x and need.skill in p.skills
                ]
                model.add(sum(skilled) >= need.min)
        for key in self.pinned:
            if key in x:
                model.add(x[key] == 1)
        pairs: list[cp_model.IntVar] = []
        for pi in range(len(people)):
            mine = [si for si in around if si in self.mine[pi]]
            vars_here = [x[si, pi] for si in mine if (si, pi) in x]
            if not vars_here:
                continue
            inside = [si for si in mine if si in free]
            # Held inside the window: load, shift count, each category's count.
            model.add(
                sum(self.units[si] * x[si, pi] for si in inside)
                == sum(self.units[si] * given(si, pi) for si in inside)
            )
            model.add(sum(x[si, pi] for si in inside) == sum(given(si, pi) for si in inside))
            for c in problem.categories:
                of_c = [si for si in inside if c in shifts[si].categories]
                if of_c:
                    model.add(sum(x[si, pi] for si in of_c) == sum(given(si, pi) for si in of_c))
            self._rules(model, pi, mine, term, pairs)
        # Broken requests touching the window may not rise.
        now: list[cp_model.LinearExprT] = []
        before = 0
        for pi, avoid, weight, hits in self.requests:
            if not any(si in free for si in hits):
                continue
            before += weight * (any(given(si, pi) for si in hits) == avoid)
            outside = any(given(si, pi) for si in hits if si not in free)
            mine_x = [x[si, pi] for si in hits if (si, pi) in x]
            if outside or not mine_x:
                now.append(weight * int(outside == avoid))
                continue
            flag = model.new_bool_var("")
            if avoid:
                for var in mine_x:
                    model.add_implication(var, flag)
            else:
                model.add_bool_or([*mine_x, flag])
            now.append(weight * flag)
        if now:
            model.add(sum(now) <= before)
        if self.base:
            # Changes from the published rota inside the window may not rise either.
            moved = [(1 - var) if key in self.base else var for key, var in x.items()]
            model.add(sum(moved) <= sum(given(*key) != (key in self.base) for key in x))
        current = self._pairs_touching(free, around, given)
        if current == 0:
            return None
        model.add(sum(pairs) <= current - 1)
        model.minimize(sum(pairs))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(seconds, 0.01)
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = self.rng.randrange(1 << 20)
        track(solver)
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        found = list(values)
        for (si, pi), var in x.items():
            found[rm.x[si, pi].index] = int(solver.value(var))
        return found

    def _rules(
        self,
        model: cp_model.CpModel,
        pi: int,
        mine: list[int],
        term: Callable[[int, int], cp_model.IntVar | int],
        pairs: list[cp_model.IntVar],
    ) -> None:
        """One person's rest, windows and close pairs among the shifts around the window."""
        problem = self.rm.problem
        shifts = problem.shifts
        for k, a in enumerate(mine):
            sa = shifts[a]
            ta = term(a, pi)
            for b in mine[k + 1 :]:
                sb = shifts[b]
                gap = sb.start - sa.start
                if gap >= self.near and sb.start >= sa.end + self.rest:
                    break
                tb = term(b, pi)
                rested = sb.start >= sa.end + self.rest  # else the rest rule: not both
                if isinstance(ta, int) and isinstance(tb, int):
                    continue  # both outside the window: as they are
                if isinstance(ta, int) or isinstance(tb, int):
                    # One outside the window: the other counts only if that one is given.
                    other = tb if isinstance(ta, int) else ta
                    assert not isinstance(other, int)
                    if (ta if isinstance(ta, int) else tb) == 1:
                        if not rested:
                            model.add(other == 0)
                        elif gap < self.near:
                            pairs.append(other)
                elif not rested:
                    model.add_bool_or([ta.negated(), tb.negated()])
                elif gap < self.near:  # a close pair: counted
                    both = model.new_bool_var("")
                    model.add_bool_or([ta.negated(), tb.negated(), both])
                    pairs.append(both)
        starts = [shifts[si].start for si in mine]
        for window in problem.rules.windows:
            span = timedelta(hours=float(window.hours))
            for k, t in enumerate(starts):
                inside = mine[k : bisect_left(starts, t + span)]
                terms = [term(si, pi) for si in inside]
                free = [v for v in terms if not isinstance(v, int)]
                if free and len(inside) > window.max:
                    held = sum(v for v in terms if isinstance(v, int))
                    model.add(sum(free) <= window.max - held)

    def _pairs_touching(self, free: set[int], around: list[int], given: Chosen) -> int:
        shifts = self.rm.problem.shifts
        count = 0
        for pi, mine_all in self.mine.items():
            taken = [si for si in around if si in mine_all and given(si, pi)]
            for k, a in enumerate(taken):
                for b in taken[k + 1 :]:
                    if shifts[b].start - shifts[a].start >= self.near:
                        break
                    if a in free or b in free:
                        count += 1
        return count

    def search(
        self,
        values: list[int],
        enough: Callable[[], int],
        stop: Callable[[], bool],
        track: Callable[[cp_model.CpSolver], None],
    ) -> list[int]:
        """Steps from `values` (tidied) until the figure is at `enough()` or `stop()`; the
        best solution found (tidied), `values` itself if none was better."""
        rm, shifts = self.rm, self.rm.problem.shifts
        best = values
        value = value_at(self.figure.expr, best)
        misses = 0  # steps since the last better rota: the windows grow
        while value > enough() and not stop():
            pairs = self.close_pairs(best)
            if not pairs:
                break
            a, b = self.rng.choice(pairs)
            reach = timedelta(days=_DAYS[min(misses // 8, len(_DAYS) - 1)])
            lo = shifts[a].start - reach * (0.5 + self.rng.random())
            hi = shifts[b].start + reach * (0.5 + self.rng.random())
            spans = [(lo, hi)]
            if misses >= 2 and self.rng.random() < 0.7:
                # The pair's person may swap one of its shifts for another of the same kind
                # (weight and categories: loads held) anywhere in the period: a second window
                # around such a shift.
                same = self.kinds[self.kind[self.rng.choice((a, b))]]
                other = shifts[self.rng.choice(same)].start
                half = timedelta(days=self.rng.uniform(2, 7))
                spans.append((other - half, other + half))
            found = self.step(best, spans, _STEP_S, track)
            tidied = None if found is None else rm.tidy(found)
            new = value if tidied is None else value_at(self.figure.expr, tidied)
            if tidied is not None and new < value and self.keeps(values, tidied):
                best, value, misses = tidied, new, 0
            else:
                misses += 1
        return best

    def _measures(self, given: Chosen, pi: int, mine: set[int]) -> tuple[int, ...]:
        """A person's load, shift count and count of each category."""
        shifts = self.rm.problem.shifts
        return (
            sum(self.units[si] * given(si, pi) for si in mine),
            sum(given(si, pi) for si in mine),
            *(
                sum(given(si, pi) for si in mine if c in shifts[si].categories)
                for c in self.rm.problem.categories
            ),
        )

    def keeps(self, before: list[int], after: list[int]) -> bool:
        """Whether `after` gives everyone the load, shift count and category counts `before`
        gave, with no more broken requests or changes: what every step holds, checked again
        on the whole rota."""
        old, new = self._given(before), self._given(after)
        for pi, mine in self.mine.items():
            for si in mine:
                if old(si, pi) != new(si, pi):
                    break
            else:
                continue
            if self._measures(old, pi, mine) != self._measures(new, pi, mine):
                return False
        for figure in self.held:
            if value_at(figure.expr, after) > value_at(figure.expr, before):
                return False
        return True


def violations(model: cp_model.CpModel, values: list[int]) -> int:
    """How many constraints of the model the complete solution breaks (linear, clauses,
    at-most-one, exactly-one, conjunctions, each with its enforcement literals)."""

    def lit(ref: int) -> int:
        return values[ref] if ref >= 0 else 1 - values[-ref - 1]

    broken = 0
    for var, proto in zip(values, model.proto.variables, strict=False):
        domain = list(proto.domain)
        if not any(domain[i] <= var <= domain[i + 1] for i in range(0, len(domain), 2)):
            broken += 1
    for ct in model.proto.constraints:
        if ct.enforcement_literal and not all(lit(r) for r in ct.enforcement_literal):
            continue
        if ct.has_linear():
            lin = ct.linear
            total = sum(c * values[v] for v, c in zip(lin.vars, lin.coeffs, strict=True))
            domain = list(lin.domain)
            ok = any(domain[i] <= total <= domain[i + 1] for i in range(0, len(domain), 2))
        elif ct.has_bool_or():
            ok = any(lit(r) for r in ct.bool_or.literals)
        elif ct.has_bool_and():
            ok = all(lit(r) for r in ct.bool_and.literals)
        elif ct.has_at_most_one():
            ok = sum(lit(r) for r in ct.at_most_one.literals) <= 1
        elif ct.has_exactly_one():
            ok = sum(lit(r) for r in ct.exactly_one.literals) == 1
        else:
            raise ValueError(f"cannot check constraint {ct}")
        broken += not ok
    return broken
