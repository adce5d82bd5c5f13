"""A lower bound on broken requests when spelling out options per request group is too much.

The option model prices requests exactly by splitting each kind of shift by the requests it
touches, but over a year a person's requests split their shifts into many groups and the
options multiply past any limit. Here each person still picks one option over the kinds (few
once fairness and category fairness are held), and integer counts per request group share
out that option's count of each kind; a request is broken when its groups' counts say so. The
LP is weaker than the full option hull, but it sees what the held figures leave each person (a
count of weeknights fixed at zero, say, breaks every weeknight a person prefers), which CP-SAT's
own relaxation of the rota model does not.

The same model, with each person's groups that lie within one spread window allowed one shift
between them and broken requests held, says whether a rota without close pairs can exist once
the earlier figures are held (`without_close_pairs`): requests kept only by taking two shifts
days apart force a pair, which the clique model alone may take minutes to prove.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import timedelta

from ortools.sat.python import cp_model

from rota_solver.build import RotaModel
from rota_solver.objectives import most_shifts
from rota_solver.options import Fixed, Kind, OptionModel, request_touches
from rota_solver.squares import weight_unit


class RequestBound:
    """Kind options (from `options`) with counts per request group and a cost per request."""

    def __init__(self, rm: RotaModel, options: OptionModel) -> None:
        problem = rm.problem
        self.model = options.model
        model = self.model
        unit = weight_unit([q.weight for q in problem.requests])
        pinned = {(a.shift, a.person) for a in problem.pinned}
        self.counts: list[tuple[int, tuple[int, ...], cp_model.IntVar]] = []
        costs: list[tuple[int, cp_model.IntVar]] = []
        self.constant = 0
        for pi, choices in options.options.items():
            p = problem.people[pi]
            asks = [r for r, q in enumerate(problem.requests) if q.person == p.id]

            def touches(si: int, r: int) -> bool:
                return request_touches(problem, si, r)

            kind_of: dict[int, Kind] = {}
            for (kind, _), shifts in options.groups[pi]:
                kind_of.update(dict.fromkeys(shifts, kind))
            split: dict[tuple[Kind, frozenset[int]], list[int]] = {}
            for si in sorted(kind_of):
                sig = frozenset(r for r in asks if touches(si, r))
                split.setdefault((kind_of[si], sig), []).append(si)
            per_kind: dict[Kind, list[cp_model.IntVar]] = {}
            touching: dict[int, list[tuple[int, cp_model.IntVar]]] = {r: [] for r in asks}
            for (kind, sig), shifts in sorted(split.items(), key=repr):
                cap = most_shifts(rm, pi, shifts)
                low = sum(1 for si in shifts if (problem.shifts[si].id, p.id) in pinned)
                n = model.new_int_var(low, max(low, cap), "")
                self.counts.append((pi, tuple(shifts), n))
                per_kind.setdefault(kind, []).append(n)
                for r in sig:
                    touching[r].append((cap, n))
            # The groups of a kind share out exactly the option's count of that kind.
            for k, ((kind, _), _) in enumerate(options.groups[pi]):
                chosen = cp_model.LinearExpr.weighted_sum(
                    [z for _, z in choices], [vector[k] for vector, _ in choices]
                )
                model.add(sum(per_kind.get(kind, [])) == chosen)
            held = [si for si in rm.candidates(pi) if (si, pi) in rm.fixed]
            for r in asks:
                q = problem.requests[r]
                weight = int(q.weight * unit)
                already = sum(1 for si in held if touches(si, r))
                if already or not touching[r]:
                    # Settled whatever the rota: given a held shift, or nothing open touches it.
                    self.constant += weight if (already > 0) == (q.kind == "avoid") else 0
                    continue
                broken = model.new_bool_var("")
                costs.append((weight, broken))
                if q.kind == "avoid":
                    for cap, n in touching[r]:
                        model.add(n <= cap * broken)
                else:
                    model.add(sum(n for _, n in touching[r]) + broken >= 1)
        self.expr = (
            cp_model.LinearExpr.weighted_sum([b for _, b in costs], [w for w, _ in costs])
            + self.constant
        )

    def fixed(self, solver: cp_model.CpSolver) -> list[Fixed]:
        """Each person's count in each request group, as the solution has them."""
        return [(pi, shifts, int(solver.value(n))) for pi, shifts, n in self.counts]

    def without_close_pairs(self, rm: RotaModel, limit: int | None) -> cp_model.CpModel:
        """A copy of this model, its broken requests held to `limit` (scaled, if given), in
        which no person has two shifts starting closer than spread_hours. Every rota without a
        close pair, keeping the held figures, gives counts that satisfy it: a person's groups
        whose shifts all start within one such window hold at most one shift between them (none
        when a shift of the history starts there too). So if it has no solution, neither has the
        rota model: the spread figure is at least one pair."""
        model = self.model.clone()
        model.clear_objective()  # type: ignore[no-untyped-call]
        model.clear_hints()  # type: ignore[no-untyped-call]
        if limit is not None:
            model.add(self.expr <= limit)
        problem = rm.problem
        if problem.rules.spread_hours is None:
            return model
        near = timedelta(hours=float(problem.rules.spread_hours))
        shifts = problem.shifts
        mine: dict[int, list[tuple[tuple[int, ...], cp_model.IntVar]]] = {}
        for pi, group, n in self.counts:
            mine.setdefault(pi, []).append((group, n))
        for pi, groups in mine.items():
            spans = sorted(
                (
                    (min(shifts[si].start for si in g), max(shifts[si].start for si in g), n)
                    for g, n in groups
                    if g
                ),
                key=lambda span: (span[0], span[1]),
            )
            held = sorted(shifts[si].start for si in rm.candidates(pi) if (si, pi) in rm.fixed)
            anchors = sorted({first for first, _, _ in spans} | set(held))
            previous: set[int] = set()
            for anchor in anchors:
                end = anchor + near
                inside = [
                    k for k, (first, last, _) in enumerate(spans) if first >= anchor and last < end
                ]
                before = bisect_left(held, anchor)
                history = bisect_left(held, end) - before
                if history >= 2:
                    model.add_bool_or([])  # the history already has a close pair
                    return model
                if not inside or (set(inside) <= previous and not history):
                    continue
                previous = set(inside)
                model.add(
                    sum(model.get_int_var_from_proto_index(spans[k][2].index) for k in inside)
                    <= 1 - history
                )
        return model
