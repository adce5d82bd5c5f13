"""Close pairs searched two ways at once, one thread each, the first to settle stopping the other.

A rota with no close pair, stated as cliques, is fast to find or to disprove on a long period but
on some months CP-SAT finds no start for it at all; local search from the last rota drives the
pairs down fast there but proves nothing. Run one after the other, whichever comes second waits
on the first; run side by side (a full search of the clique model on one thread, local search
interleaved on the other), each problem gets the one that suits it at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model


@dataclass(slots=True)
class Outcome:
    """What each side reached: the clique model's status and rota, local search's best."""

    clique_status: int = int(cp_model.UNKNOWN)
    clique_values: list[int] | None = None
    search_values: list[int] | None = None
    search_best: int | None = None


class _Search(cp_model.CpSolverSolutionCallback):
    """Local search's progress; it stops itself once it reaches what is known to be optimal."""

    def __init__(self) -> None:
        super().__init__()
        self.best: int | None = None
        self.enough = 0  # the least value any rota can have, as far as is known
        self.lock = threading.Lock()
        self.reached = threading.Event()  # set once best <= enough

    def on_solution_callback(self) -> None:
        with self.lock:
            self.best = int(self.objective_value)
            if self.best <= self.enough:
                self.reached.set()
                self.stop_search()


def _halt(solver: cp_model.CpSolver, done: threading.Event) -> None:
    """Stop a solve running in another thread, however soon it starts: a stop asked for
    before the solve has begun is forgotten when it begins."""
    while not done.wait(0.02):
        solver.stop_search()


def _values(solver: cp_model.CpSolver, model: cp_model.CpModel, count: int) -> list[int]:
    return [int(solver.value(model.get_int_var_from_proto_index(i))) for i in range(count)]


def _exact(seconds: float, seed: int) -> cp_model.CpSolver:
    """One thread: the full search, with feasibility jump interleaved for a first rota (on a
    year it finds one in 2.5 s where the plain one-thread search takes 6 s)."""
    exact = cp_model.CpSolver()
    exact.parameters.max_time_in_seconds = max(seconds, 0.01)
    exact.parameters.num_workers = 1
    exact.parameters.interleave_search = True
    exact.parameters.subsolvers.append("default_lp")
    exact.parameters.random_seed = seed
    return exact


# Our own local search (window.py): from `enough()` (the least value known possible) and a
# `stop()` to ask between steps, the best solution and its value.
Search = Callable[[Callable[[], int], Callable[[], bool]], tuple[list[int], int]]


def race_search(
    cliques: cp_model.CpModel,
    count: int,
    seconds: float,
    seed: int,
    track: Callable[[list[cp_model.CpSolver]], None],
    halted: Callable[[], bool],
    search: Search,
) -> Outcome:
    """As race(), with the local side a search of our own run on this thread (window.py's
    steps: a model of a few weeks each, where CP-SAT's own neighbourhoods copy the whole
    model). The search stops once the cliques settle, or reaches what is known to be least."""
    outcome = Outcome()
    exact = _exact(seconds, seed)
    track([exact])
    enough = [0]
    stopped = threading.Event()  # the search is to stop at its next step
    searched = threading.Event()  # the search has returned
    deadline = time.monotonic() + seconds

    def run_cliques() -> None:
        started = time.monotonic()
        status = exact.solve(cliques)
        outcome.clique_status = int(status)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            outcome.clique_values = _values(exact, cliques, count)
        elif status == cp_model.INFEASIBLE:
            enough[0] = 1  # no rota is without a close pair
            # As in race(): the search gets as long again as the disproof took to reach one.
            searched.wait(time.monotonic() - started)
        stopped.set()

    thread = threading.Thread(target=run_cliques, name="rota-solver-cliques", daemon=True)
    thread.start()
    try:
        values, best = search(
            lambda: enough[0],
            lambda: stopped.is_set() or halted() or time.monotonic() >= deadline,
        )
    finally:
        searched.set()
    outcome.search_values, outcome.search_best = values, best
    while thread.is_alive():
        if best == 0 or halted() or time.monotonic() >= deadline:
            exact.stop_search()  # again until it stops: it may not have started yet
        thread.join(0.02)
    return outcome


def race(
    cliques: cp_model.CpModel,
    full: cp_model.CpModel,
    count: int,
    seconds: float,
    seed: int,
    track: Callable[[list[cp_model.CpSolver]], None],
    halted: Callable[[], bool],
) -> Outcome:
    """Solve `cliques` (no close pair) and minimise `full` by local search from its hint,
    side by side for `seconds`. `count`: how many leading variables make a rota (both models
    share them). `track` is given both solvers so that the caller can stop them; `halted`
    says whether it has."""
    outcome = Outcome()
    exact = _exact(seconds, seed)
    local = cp_model.CpSolver()
    local.parameters.max_time_in_seconds = max(seconds, 0.01)
    # One thread of local search only: CP-SAT interleaves its neighbourhoods on one worker.
    local.parameters.num_workers = 1
    local.parameters.interleave_search = True
    local.parameters.use_lns_only = True
    local.parameters.cp_model_presolve = False
    local.parameters.random_seed = seed
    watch = _Search()
    track([exact, local])

    def run_cliques() -> None:
        started = time.monotonic()
        status = exact.solve(cliques)
        outcome.clique_status = int(status)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            outcome.clique_values = _values(exact, cliques, count)
            _halt(local, searched)
        elif status == cp_model.INFEASIBLE:
            with watch.lock:
                watch.enough = 1  # no rota is without a close pair
                if watch.best is not None and watch.best <= 1:
                    watch.reached.set()  # already there: proven
            # Local search may reach one pair and so prove it, but where the optimum is two or
            # more it never can: it gets as long again as the disproof took, and then the
            # caller's full search (which proves a small model's optimum at once) takes over.
            watch.reached.wait(time.monotonic() - started)
            _halt(local, searched)

    searched = threading.Event()  # local search has returned
    thread = threading.Thread(target=run_cliques, name="rota-solver-cliques", daemon=True)
    thread.start()
    try:
        status = local.solve(full, watch)
    finally:
        searched.set()
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        outcome.search_values = _values(local, full, count)
        outcome.search_best = int(local.objective_value)
    while thread.is_alive():
        if outcome.search_best == 0 or halted():
            exact.stop_search()  # again until it stops: it may not have started yet
        thread.join(0.02)
    return outcome
