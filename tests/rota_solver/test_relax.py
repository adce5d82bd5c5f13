"""The counting relaxation: a valid bound, the same with options filtered by a budget."""

from __future__ import annotations

from ortools.sat.python import cp_model

from rota_solver import parse_problem
from rota_solver.build import RotaModel
from rota_solver.lpbound import fairness_lp_bound
from rota_solver.objectives import add_objectives, category_figure, fairness_figure
from rota_solver.options import MAX_OPTIONS, OptionModel
from rota_solver.relax import CountModel, relax
from tests.rota_solver.helpers import at, document, person, shift


def _many_kinds() -> RotaModel:
    """Four kinds of shift and few rules: far more count options per person than MAX_OPTIONS."""
    shifts = []
    for d in range(44):
        weight, cats = [(1, []), (1.5, ["weekend"]), (2, ["bank_holiday"]), (2.5, ["weekend"])][
            d % 4
        ]
        shifts.append(shift(f"s{d}", d, weight=weight, categories=cats))
    people = [
        person("a", balance={"load": 1}),
        person("b", fte=0.5),
        person("c", unavailable=[{"start": at(10), "end": at(20)}]),
        person("d", balance={"load": -2, "weekend": 1}),
        person("e", fte=0.8),
    ]
    doc = document(shifts, people, categories=["weekend", "bank_holiday"])
    return RotaModel(parse_problem(doc))


def _solver() -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 30
    solver.parameters.num_workers = 2
    return solver


def _counting_fairness(rm: RotaModel) -> int:
    """The workers' least fairness cost in the plain counting model."""
    counting = CountModel(rm, "worker")
    fair = fairness_figure(counting.model, rm.problem, counting.values(), "worker")
    counting.model.minimize(fair.expr)
    solver = _solver()
    assert solver.solve(counting.model) == cp_model.OPTIMAL
    return int(solver.objective_value)


def test_budgeted_options_reach_the_counting_optimum() -> None:
    rm = _many_kinds()
    figures = add_objectives(rm)
    kinds = CountModel.kinds(rm)
    unfiltered = OptionModel(rm, "worker", kinds, [figures["fairness"]])
    assert unfiltered.too_many, f"needs more than {MAX_OPTIONS} options to test the budget path"
    best = _counting_fairness(rm)
    solver = _solver()
    budgeted = OptionModel(rm, "worker", kinds, [figures["fairness"]], budget=best)
    assert not budgeted.too_many
    budgeted.model.minimize(budgeted.expr("fairness"))
    solver.parameters.cp_model_presolve = False
    assert solver.solve(budgeted.model) == cp_model.OPTIMAL
    assert int(solver.objective_value) == best
    relaxed = relax(rm, "fairness", {}, 20, 2, 0, exact=figures)
    assert relaxed is not None and relaxed.proven
    assert relaxed.bound == best


def test_options_pruned_by_prices_keep_the_category_optimum_under_a_loose_limit() -> None:
    # Fairness held far above its optimum leaves each person many count vectors, which the LP
    # prices may drop (`wide` lets many more be enumerated first, for a year); whatever is
    # dropped, category fairness under that limit is the plain counting model's optimum.
    rm = _many_kinds()
    figures = add_objectives(rm)
    kinds = CountModel.kinds(rm)
    limit = _counting_fairness(rm) * 10
    solver = _solver()
    lp = fairness_lp_bound(rm, "worker", figures["fairness"], kinds)
    assert lp is not None
    figs = [figures["fairness"], figures["category_fairness"]]
    wide = OptionModel(rm, "worker", kinds, figs, limit, False, {"fairness": limit}, lp, True)
    assert not wide.too_many
    wide.model.minimize(wide.expr("category_fairness"))
    solver.parameters.cp_model_presolve = False
    assert solver.solve(wide.model) == cp_model.OPTIMAL
    options_best = int(solver.objective_value)
    counting = CountModel(rm, "worker")
    fair = fairness_figure(counting.model, rm.problem, counting.values(), "worker")
    category = category_figure(counting.model, rm.problem, counting.values(), "worker")
    counting.model.add(fair.expr <= limit)
    counting.model.minimize(category.expr)
    solver.parameters.cp_model_presolve = True
    assert solver.solve(counting.model) == cp_model.OPTIMAL
    assert options_best == int(solver.objective_value)
    held = {"fairness": {"worker": limit}}
    relaxed = relax(rm, "category_fairness", held, 20, 2, 0, exact=figures)
    assert relaxed is not None and relaxed.proven
    assert relaxed.bound == options_best


def test_a_wide_option_model_under_more_limits_reuses_the_vectors_priced_under_fewer() -> None:
    # The category stage prices a year's options under the held fairness; the broken-requests
    # stage, with category fairness held too, starts from those instead of enumerating again,
    # and must keep exactly the options a fresh enumeration keeps.
    rm = _many_kinds()
    figures = add_objectives(rm)
    kinds = CountModel.kinds(rm)
    figs = [figures["fairness"], figures["category_fairness"]]
    limit = _counting_fairness(rm) * 10
    solver = _solver()
    lp = fairness_lp_bound(rm, "worker", figures["fairness"], kinds)
    assert lp is not None
    first = OptionModel(rm, "worker", kinds, figs, limit, False, {"fairness": limit}, lp, True)
    assert not first.too_many and not first.reused
    first.model.minimize(first.expr("category_fairness"))
    solver.parameters.cp_model_presolve = False
    assert solver.solve(first.model) == cp_model.OPTIMAL
    category = int(solver.objective_value) + 3  # a held category figure that still prunes
    limits = {"fairness": limit, "category_fairness": category}
    later = OptionModel(rm, "worker", kinds, figs, limit, False, limits, lp, True)
    assert later.reused
    fresh_rm = RotaModel(rm.problem)  # nothing enumerated for it yet
    fresh_figures = add_objectives(fresh_rm)
    fresh = OptionModel(
        fresh_rm,
        "worker",
        CountModel.kinds(fresh_rm),
        [fresh_figures["fairness"], fresh_figures["category_fairness"]],
        limit,
        False,
        limits,
        lp,
        True,
    )
    assert not fresh.reused
    assert sum(len(o) for o in fresh.options.values()) < sum(
        len(o) for o in first.options.values()
    ), "the category limit should drop some options"

    def vectors(options: OptionModel) -> dict[int, set[tuple[int, ...]]]:
        return {pi: {v for v, _ in choices} for pi, choices in options.options.items()}

    assert vectors(later) == vectors(fresh)
