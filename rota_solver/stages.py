"""One stage at a time: minimise a figure on the rota model, proving it with the relaxation."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from ortools.sat.python import cp_model

from rota_solver.budget import restrict
from rota_solver.build import RotaModel
from rota_solver.model import Assignment, Problem, Progress, StageStats
from rota_solver.objectives import add_objectives
from rota_solver.options import Fixed
from rota_solver.params import solver_for
from rota_solver.people import Chosen, broken_request_people, close_pair_people, pick_people
from rota_solver.race import race, race_search
from rota_solver.relax import Relaxed, fix_counts, relax
from rota_solver.request_bound import RequestBound
from rota_solver.squares import Figure
from rota_solver.window import WindowSearch
from rota_solver.window import value_at as _value
from rota_solver.zero import forbid_close_pairs

ProgressCallback = Callable[[Progress], None]

# Figures the counting relaxation can bound, and how often impossible counts are excluded.
_RELAXED = ("fairness", "category_fairness", "broken_requests")
_RETRIES = 5
# People-aimed local search (people.py): each step's limits, and how many are freed at once.
_STEP_S = 5.0
_STEP_DETERMINISTIC = 2.0
_AIMED, _OTHERS = 2, 3
# Those freed at random grow after a step proven without a better rota, but no further than
# this (was half the tier). Year seed 6's broken requests reached the bound in 6 of 6 runs
# capped, 9 of 12 uncapped: weak evidence (bench/results/rota-ideas.md, seventh pass).
_MOST_OTHERS = 4
_STALL_STEPS = 60  # no better rota in this many steps: leave the rest to the full search


class _Reporter(cp_model.CpSolverSolutionCallback):
    """Forwards each improving solution, and bound moves now and then, to the callback."""

    def __init__(
        self,
        figure: Figure,
        started: float,
        progress: ProgressCallback | None,
        enough: int | None = None,
        bounds: bool = True,
    ) -> None:
        super().__init__()
        self._figure, self._started, self._progress = figure, started, progress
        self._bounds = bounds  # False for a search over part of the model: its bound is not one
        self._best: float | None = None
        self._last_bound_report = 0.0
        self._enough = enough  # a proven bound: a rota at it ends the search

    def on_solution_callback(self) -> None:
        self._best = self._figure.to_units(float(self.objective_value))
        self._report(self._figure.to_units(float(self.best_objective_bound)))
        if self._enough is not None and self.objective_value <= self._enough:
            self.stop_search()

    def on_bound(self, bound: float) -> None:
        # A long proof moves the bound many times a second; a few reports are enough.
        if time.monotonic() - self._last_bound_report >= 1.0:
            self._report(self._figure.to_units(bound))

    def _report(self, bound: float) -> None:
        self._last_bound_report = time.monotonic()
        if self._progress is not None:
            elapsed = time.monotonic() - self._started
            shown = bound if self._bounds else None
            self._progress(Progress(self._figure.name, elapsed, self._best, shown))


class Stages:
    """Runs the stages on one model, keeping the best complete solution between them."""

    def __init__(
        self,
        problem: Problem,
        workers: int,
        seed: int,
        progress: ProgressCallback | None,
        deterministic: bool = False,
    ) -> None:
        self.deterministic = deterministic
        self.rm = RotaModel(problem)
        self.figures = add_objectives(self.rm)
        self.workers, self.seed, self.progress = workers, seed, progress
        self.values: list[int] | None = None  # every model variable, from the last rota found
        # Limits reached by earlier stages: per tier while every stage so far was proven
        # (tiers are then independent), else for the whole figure under the tier "".
        self.held: dict[str, dict[str, int]] = {}
        self.started = time.monotonic()
        self.running: list[cp_model.CpSolver] = []
        self.stopped = False
        # The request-group models that bounded broken requests, for the spread stage.
        self.request_bounds: tuple[RequestBound, ...] = ()
        self.request_counts: list[Fixed] = []  # their counts at the bound

    def _track(self, solver: cp_model.CpSolver) -> None:
        """Remember the solver about to run, so that stop() can reach it."""
        self.running[:] = [solver]
        if self.stopped:
            solver.stop_search()

    def stop(self) -> None:
        self.stopped = True
        for solver in list(self.running):
            solver.stop_search()

    def _solve(
        self,
        model: cp_model.CpModel,
        figure: Figure,
        seconds: float,
        improve: bool = False,
        enough: int | None = None,
    ) -> tuple[int, int]:
        """Solve `model` (the rota model or a restricted copy); keep its solution if any.
        `improve`: only look for better rotas from the hint (see params.solver_for).
        `enough`: a proven bound; the search stops at a rota that meets it."""
        self._hint(model)
        solver = solver_for(seconds, self.workers, self.seed, self.deterministic, improve)
        if self.stopped:
            return int(cp_model.UNKNOWN), 0
        self.running[:] = [solver]
        reporter = _Reporter(figure, self.started, self.progress, enough)
        solver.best_bound_callback = reporter.on_bound
        status = solver.solve(model, reporter)
        self.running.clear()
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            # Only the rota model's own variables: a restricted copy may have made constants.
            count = min(len(model.proto.variables), len(self.rm.model.proto.variables))
            self.values = self.rm.tidy(
                [int(solver.value(model.get_int_var_from_proto_index(i))) for i in range(count)]
            )
        return int(status), int(solver.best_objective_bound)  # status is an int enum

    def _hint(self, model: cp_model.CpModel) -> None:
        model.clear_hints()  # type: ignore[no-untyped-call]
        if self.values is not None:
            # A complete hint: the previous rota keeps every constraint added since.
            known = len(model.proto.variables)
            for index, value in enumerate(self.values[:known]):
                model.add_hint(model.get_int_var_from_proto_index(index), value)

    def _race(self, figure: Figure, seconds: float) -> tuple[int, int, bool]:
        """The clique model and local search side by side (race.py). Returns the clique
        model's status, the bound and whether a rota at it was found (then kept)."""
        cliques = self.rm.model.clone()
        cliques.add(figure.expr <= 0)
        forbid_close_pairs(cliques, self.rm)
        # No hint for the cliques: the last rota breaks them, and one worker spends long
        # trying to repair it (a year: 12 s of a 16 s solve, against 6 s without).
        cliques.clear_hints()  # type: ignore[no-untyped-call]
        self._hint(self.rm.model)
        count = len(self.rm.model.proto.variables)

        def track(solvers: list[cp_model.CpSolver]) -> None:
            self.running[:] = solvers
            if self.stopped:
                for solver in solvers:
                    solver.stop_search()

        outcome = race(
            cliques, self.rm.model, count, seconds, self.seed, track, lambda: self.stopped
        )
        self.running.clear()
        if outcome.clique_values is not None:
            self.values = self.rm.tidy(outcome.clique_values)
            return outcome.clique_status, 0, True
        if outcome.search_values is not None:
            self.values = self.rm.tidy(outcome.search_values)
        bound = 0
        if outcome.clique_status == cp_model.INFEASIBLE:
            self.rm.model.add(figure.expr >= 1)
            bound = 1
        return outcome.clique_status, bound, self._meets(int(cp_model.FEASIBLE), figure, bound)

    def _window_search(self, figure: Figure) -> WindowSearch | None:
        """Our own time-window local search (window.py), where it applies: not in
        deterministic mode, which keeps its one way of searching."""
        if self.deterministic or self.rm.problem.rules.spread_hours is None:
            return None
        held = tuple(self.figures[f] for f in ("changes", "broken_requests") if f in self.held)
        return WindowSearch(self.rm, self.seed, figure, held)

    def _windows(
        self,
        search: WindowSearch,
        figure: Figure,
        enough: Callable[[], int],
        stop: Callable[[], bool],
        also: list[cp_model.CpSolver],
    ) -> tuple[list[int], int]:
        """Window steps from the last rota; keeps the best rota found if better."""
        assert self.values is not None

        def track(solver: cp_model.CpSolver) -> None:
            self.running[:] = [*also, solver]
            if self.stopped:
                solver.stop_search()

        start = self.rm.tidy(self.values)
        before = _value(figure.expr, start)
        found = search.search(start, enough, lambda: stop() or self.stopped, track)
        value = _value(figure.expr, found)
        if value < before:
            self.values = found
            if self.progress is not None:
                elapsed = time.monotonic() - self.started
                self.progress(Progress(figure.name, elapsed, figure.to_units(value), None))
        return found, value

    def _race_windows(
        self, search: WindowSearch, figure: Figure, seconds: float
    ) -> tuple[int, int, bool]:
        """As _race, with window.py's search as the local side."""
        cliques = self.rm.model.clone()
        cliques.add(figure.expr <= 0)
        forbid_close_pairs(cliques, self.rm)
        cliques.clear_hints()  # type: ignore[no-untyped-call]
        count = len(self.rm.model.proto.variables)
        exact: list[cp_model.CpSolver] = []

        def track(solvers: list[cp_model.CpSolver]) -> None:
            exact[:] = solvers
            self.running[:] = solvers
            if self.stopped:
                for solver in solvers:
                    solver.stop_search()

        outcome = race_search(
            cliques,
            count,
            seconds,
            self.seed,
            track,
            lambda: self.stopped,
            lambda enough, stop: self._windows(search, figure, enough, stop, exact),
        )
        self.running.clear()
        if outcome.clique_values is not None:
            self.values = self.rm.tidy(outcome.clique_values)
            return outcome.clique_status, 0, True
        bound = 0
        if outcome.clique_status == cp_model.INFEASIBLE:
            self.rm.model.add(figure.expr >= 1)
            bound = 1
        return outcome.clique_status, bound, self._meets(int(cp_model.FEASIBLE), figure, bound)

    def _realisable(self, relaxed: Relaxed, tier: str, seconds: float) -> bool:
        """Whether some rota gives this tier's people exactly the relaxation's counts."""
        focused = self.rm.model.clone()
        focused.clear_objective()  # type: ignore[no-untyped-call]
        fix_counts(focused, self.rm, relaxed, tier)
        solver = solver_for(seconds, self.workers, self.seed, self.deterministic)
        self._track(solver)
        return bool(solver.solve(focused) != cp_model.INFEASIBLE)

    def _relaxed_stage(
        self, name: str, figure: Figure, budget: float, deadline: float
    ) -> tuple[int | None, bool]:
        """Bound the figure by the counting relaxation and, if a rota meets the bound, prove it.

        Counts no rota can realise (rest and window rules are not in the relaxation) are
        excluded and the relaxation solved again, a few times at most.
        """
        rm = self.rm
        excluded: dict[str, list[dict[int, tuple[int, ...]]]] = {}
        bound: int | None = None
        at_least: int | None = None
        for _ in range(_RETRIES):
            left = deadline - time.monotonic()
            relaxed = relax(
                rm,
                name,
                dict(self.held),
                min(left, budget) * 0.6,
                self.workers,
                self.seed,
                self._track,
                self.figures,
                self.deterministic,
                excluded,
                at_least,
            )
            if relaxed is None:
                break
            if name == "broken_requests":
                self.request_bounds = relaxed.requests
                self.request_counts = relaxed.fixed
            bound = relaxed.bound if bound is None else max(bound, relaxed.bound)
            if not relaxed.proven:
                break
            # A rota with exactly the relaxation's counts is optimal if one exists.
            focused = rm.model.clone()
            fix_counts(focused, rm, relaxed)
            seconds = min(deadline - time.monotonic(), budget * 0.15)
            status, _ = self._solve(focused, figure, seconds)
            if self._meets(status, figure, bound):
                return bound, True
            if len(rm.problem.tiers) == 1 and figure.terms:
                # Any rota at the bound will do, whatever its mix of shifts: hold only the
                # figure, with each person's value narrowed to those that can fit.
                focused = rm.model.clone()
                focused.add(figure.expr <= bound)
                restrict(focused, figure, {rm.problem.tiers[0]: bound})
                seconds = min(deadline - time.monotonic(), budget * 0.3)
                status, _ = self._solve(focused, figure, seconds)
                if self._meets(status, figure, bound):
                    return bound, True
                if status != cp_model.INFEASIBLE:
                    break
                # No rota reaches the bound: the optimum lies above it, and so does the
                # relaxation's best beyond it, a valid and higher bound.
                at_least = bound + 1
                bound = at_least
                continue
            if status != cp_model.INFEASIBLE or not relaxed.per_tier:
                break
            # Tiers are independent: find which tiers' counts no rota realises, and exclude them.
            seconds = min(deadline - time.monotonic(), budget * 0.1)
            if len(rm.problem.tiers) == 1:
                bad = list(rm.problem.tiers)  # the search just proved it
            else:
                bad = [t for t in rm.problem.tiers if not self._realisable(relaxed, t, seconds)]
            if not bad:
                break
            for tier in bad:
                excluded.setdefault(tier, []).append(relaxed.choice)
        if bound is not None:
            rm.model.add(figure.expr >= bound)  # valid: the relaxation allows every rota
        return bound, False

    def _meets(self, status: int, figure: Figure, bound: int) -> bool:
        """Whether the solve just made found a rota at the bound (so proven optimal)."""
        found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        return found and self.values is not None and _value(figure.expr, self.values) <= bound

    def _zero_impossible(self, seconds: float) -> bool:
        """Whether the request-group counts (fairness and category fairness held in their
        options, broken requests held here) leave no rota without a close pair (see
        RequestBound.without_close_pairs): a proof that the spread figure is at least one."""
        held = self.held.get("broken_requests", {})
        tiers = self.rm.problem.tiers
        limit = held.get("") if len(tiers) == 1 else None
        for bound in self.request_bounds:
            solver = solver_for(seconds, self.workers, self.seed, self.deterministic)
            self._track(solver)
            model = bound.without_close_pairs(self.rm, limit)
            if solver.solve(model) == cp_model.INFEASIBLE:
                return True
        return False

    def _zero_first(self, figure: Figure, budget: float, deadline: float) -> tuple[int, bool]:
        """Close pairs, searched two ways, side by side (two workers) or else in turn: a rota
        with none, stated tightly as cliques (fast to find, or to disprove, on a long period),
        and local search on the full model from the last rota (it drives the pairs down fast
        where the cliques leave CP-SAT no start, and far faster than the full search). If no
        rota without a close pair exists the figure is at least one pair (its scaled value 1).
        Returns the bound and whether a rota at it was found; if not, the stage's full search
        goes on from the best rota."""
        zero: int | None = None  # the clique model's status
        bound = 0
        slices: tuple[tuple[float, bool], ...] = (
            (0.05, True),
            (0.1, False),
            (0.2, True),
            (0.3, False),
        )
        if self.request_bounds and self._zero_impossible(
            min(deadline - time.monotonic(), budget * 0.1)
        ):
            zero, bound = int(cp_model.INFEASIBLE), 1
            self.rm.model.add(figure.expr >= 1)
            if self._meets(int(cp_model.FEASIBLE), figure, bound):
                return bound, True
            # Local search from the last rota (window.py's where it applies), then over the
            # people with close pairs: either proves the stage by reaching one pair.
            search = self._window_search(figure)
            if search is not None:
                until = min(deadline, time.monotonic() + budget * 0.3)
                self._windows(search, figure, lambda: bound, lambda: time.monotonic() >= until, [])
                if self._meets(int(cp_model.FEASIBLE), figure, bound):
                    return bound, True
            else:
                seconds = min(deadline - time.monotonic(), budget * 0.05)
                status, _ = self._solve(self.rm.model, figure, seconds, True, bound)
                if self._meets(status, figure, bound):
                    return bound, True
            until = min(deadline, time.monotonic() + budget * 0.3)
            return bound, self._people_search(figure, bound, until, close_pair_people(self.rm))
        elif not self.deterministic and self.workers > 1:
            # Both ways at once, a thread each, for the first three slices' time.
            seconds = min(deadline - time.monotonic(), budget * 0.35)
            search = self._window_search(figure)
            if search is not None:
                zero, bound, met = self._race_windows(search, figure, seconds)
            else:
                zero, bound, met = self._race(figure, seconds)
            if met:
                return bound, True
            slices = ((0.3, False),)
        for share, tight in slices:
            seconds = min(deadline - time.monotonic(), budget * share)
            if seconds <= 0:
                break
            if tight:
                if zero == cp_model.INFEASIBLE:
                    continue
                focused = self.rm.model.clone()
                focused.add(figure.expr <= 0)
                forbid_close_pairs(focused, self.rm)
                zero, _ = self._solve(focused, figure, seconds)
                if zero in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                    return 0, True
                if zero == cp_model.INFEASIBLE:
                    self.rm.model.add(figure.expr >= 1)
                    bound = 1
                    if self._meets(int(cp_model.FEASIBLE), figure, bound):
                        return bound, True
            else:
                # Local search only: it drives the pairs down far faster than the full search,
                # and the proof comes from the cliques or the search after this. But once zero
                # is disproved, a small model's optimum is proven at once by the full search,
                # which local search alone cannot do: that goes first, briefly.
                for improve in (False, True) if zero == cp_model.INFEASIBLE else (True,):
                    part = seconds * 0.3 if not improve else seconds
                    part = min(part, deadline - time.monotonic())
                    status, solver_bound = self._solve(self.rm.model, figure, part, improve)
                    if status == cp_model.OPTIMAL:
                        bound = max(bound, solver_bound)
                    if status == cp_model.OPTIMAL or self._meets(status, figure, bound):
                        return bound, True
        return bound, False

    def _people_search(
        self,
        figure: Figure,
        bound: int,
        deadline: float,
        aims: Callable[[Chosen], list[set[int]]],
    ) -> bool:
        """Steps of people.py's local search from the last rota, each freeing a few people
        and fixing everyone else, until a rota meets `bound` (then True) or the deadline.
        Each step is limited in deterministic time, so a seed repeats its steps."""
        rm = self.rm
        rng = random.Random(self.seed)
        everyone = sorted({pi for _, pi in rm.x})
        count = len(rm.model.proto.variables)
        others = _OTHERS
        stalled = 0  # steps since the last better rota
        while not self.stopped and self.values is not None:
            current = _value(figure.expr, self.values)
            left = deadline - time.monotonic()
            if current <= bound or left < 0.5 or stalled >= _STALL_STEPS:
                break  # met, out of time, or stalled: the optimum may be above the bound
            chosen = set(rm.fixed) | {key for key, var in rm.x.items() if self.values[var.index]}
            targets = aims(chosen)
            if not targets:
                break
            people = pick_people(targets, everyone, rng, _AIMED, others)
            step = rm.model.clone()
            for (_, pi), var in rm.x.items():
                if pi not in people:
                    held = step.get_bool_var_from_proto_index(var.index)
                    step.add(held == self.values[var.index])
            self._hint(step)
            solver = solver_for(min(left, _STEP_S), self.workers, self.seed, self.deterministic)
            solver.parameters.max_deterministic_time = _STEP_DETERMINISTIC
            if self.deterministic or self.workers == 1:
                solver.parameters.max_time_in_seconds = left  # the step ends by its own limit
            self._track(solver)
            reporter = _Reporter(figure, self.started, self.progress, bound, bounds=False)
            status = solver.solve(step, reporter)
            self.running.clear()
            better = False
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                found = rm.tidy(
                    [int(solver.value(step.get_int_var_from_proto_index(i))) for i in range(count)]
                )
                better = _value(figure.expr, found) < current
                if better:
                    self.values = found
            stalled = 0 if better else stalled + 1
            # Nothing better among these people: free more next time; a step cut short: fewer.
            if not better and status == cp_model.OPTIMAL:
                others = min(others + 2, _MOST_OTHERS)
            elif not better:
                others = max(others - 1, 1)
        return self.values is not None and _value(figure.expr, self.values) <= bound

    def _small_repair(self) -> bool:
        """Changes are held to a handful: the relaxation knows nothing of changes, and within
        so few moves CP-SAT proves each figure directly, and faster."""
        held = self.held.get("changes")
        if held is None:
            return False
        places = sum(s.required for s in self.rm.problem.shifts)
        return sum(held.values()) <= max(10, places // 10)

    def first_rota(self, seconds: float) -> None:
        """Any rota keeping the hard rules, quickly: it proves feasibility (or not) before any
        figure is worked on, and hints the first stage."""
        model = self.rm.model
        solver = solver_for(seconds, self.workers, self.seed, self.deterministic)
        self._track(solver)
        status = solver.solve(model)
        self.running.clear()
        if status == cp_model.INFEASIBLE:
            raise Infeasible
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            count = len(model.proto.variables)
            self.values = self.rm.tidy(
                [int(solver.value(model.get_int_var_from_proto_index(i))) for i in range(count)]
            )

    def stage(self, name: str, budget: float) -> StageStats:
        """Minimise one figure and hold it at the value reached."""
        started = time.monotonic()
        deadline = started + budget
        rm, figure = self.rm, self.figures[name]
        rm.model.minimize(figure.expr)
        bound: int | None = None
        proven = False
        if name in _RELAXED and not self._small_repair():
            bound, proven = self._relaxed_stage(name, figure, budget, deadline)
        elif name == "spread_pairs" and rm.problem.rules.spread_hours is not None:
            bound, proven = self._zero_first(figure, budget, deadline)
        if not proven and name == "broken_requests" and self.request_bounds and bound is not None:
            # A long period (the request-group bound was needed): the full search gets the
            # figure down fast but stalls above the bound; exchanges between the people who
            # carry the broken requests reach it.
            left = deadline - time.monotonic()
            status, solver_bound = self._solve(rm.model, figure, left * 0.25, enough=bound)
            proven = status == cp_model.OPTIMAL or self._meets(status, figure, bound)
            if status == cp_model.OPTIMAL:
                bound = max(bound, solver_bound)
            if not proven:
                aims = broken_request_people(rm, self.request_counts)
                until = time.monotonic() + (deadline - time.monotonic()) * 0.75
                proven = self._people_search(figure, bound, until, aims)
        if not proven:
            # The full search from the best rota: it also proves an optimum above the bound.
            left = deadline - time.monotonic()
            status, solver_bound = self._solve(rm.model, figure, left, enough=bound)
            if status == cp_model.INFEASIBLE and self.values is None:
                raise Infeasible
            if status == cp_model.OPTIMAL:
                proven = True
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                bound = max(bound or solver_bound, solver_bound)
        if self.values is None:
            raise NoSolution
        value = _value(figure.expr, self.values)
        if bound is not None and value <= bound:
            proven = True  # the search was cut short just as it met a proven bound
        # Hold this figure where it got to while the next ones are optimised.
        rm.model.add(figure.expr <= value)
        per_tier = proven and figure.parts and all("" not in h for h in self.held.values())
        if per_tier:
            # Proven optimal with tiers independent: every optimal rota has each tier's part
            # at that tier's own optimum, so holding each part loses nothing.
            self.held[name] = {t: _value(e, self.values) for t, e in figure.parts.items()}
            for tier, part in figure.parts.items():
                rm.model.add(part <= self.held[name][tier])
            restrict(rm.model, figure, self.held[name])
        else:
            self.held[name] = {"": value}
        best = figure.to_units(value)
        low = None if bound is None else figure.to_units(bound)
        if self.progress is not None:
            self.progress(Progress(name, time.monotonic() - self.started, best, low))
        status_word = "optimal" if proven else "feasible"
        return StageStats(name, status_word, best, low, round(time.monotonic() - started, 3))

    def assignments(self) -> tuple[Assignment, ...]:
        assert self.values is not None
        rm, values = self.rm, self.values
        chosen = set(rm.fixed) | {key for key, var in rm.x.items() if values[var.index]}
        return tuple(
            Assignment(rm.problem.shifts[si].id, rm.problem.people[pi].id)
            for si, pi in sorted(chosen)
        )


class Infeasible(Exception):
    """CP-SAT proved that no rota keeps every hard rule."""


class NoSolution(Exception):
    """No rota was found (time limit or cancellation) and infeasibility was not proven."""
