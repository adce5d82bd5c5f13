"""One place for CP-SAT search parameters, so every solve is configured the same way."""

from __future__ import annotations

from ortools.sat.python import cp_model


def solver_for(
    seconds: float, workers: int, seed: int, deterministic: bool = False, improve: bool = False
) -> cp_model.CpSolver:
    """A CpSolver with a wall-clock limit, a worker count and a seed.

    One worker searches the same way every time for a seed. Several workers race, so which
    of several equally good rotas comes back can vary; `deterministic` interleaves them in fixed
    batches instead (reproducible, but several times slower here). Either way a solve cut short
    by its wall-clock limit depends on timing.

    `improve` asks only for better solutions from the hint: every worker runs large
    neighbourhood search (no full search, so no proof except by meeting a known bound) on the
    model as given (presolving a large model first costs seconds and each neighbourhood is
    presolved anyway). Not in deterministic mode, which keeps its one way of searching.
    """
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = max(seconds, 0.01)
    params.num_workers = workers
    params.random_seed = seed
    params.interleave_search = deterministic and workers > 1
    if params.interleave_search:
        # OR-Tools 9.15 aborts the process (a failed CHECK, heuristics.fixed_search) when the
        # max_lp subsolver runs interleaved on some hinted models that turn out infeasible
        # (county month seed 5's managers, the focused fairness model); the others are enough.
        params.ignore_subsolvers.append("max_lp")
    if improve and not deterministic and workers > 1:
        params.use_lns_only = True
        params.cp_model_presolve = False
    return solver
