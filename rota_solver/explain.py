"""Why a problem has no rota: a small set of conflicting rules, found with CP-SAT assumptions."""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from rota_solver.build import Group, RotaModel
from rota_solver.figures import could_take
from rota_solver.model import Explanation, Problem
from rota_solver.precheck import precheck
from rota_solver.words import count, hours, name, names, shift_label, when

_MAX_EXPLANATIONS = 10


def _describe(problem: Problem, group: Group) -> tuple[str, str]:
    """A rule group as (constraint id, words a coordinator would use)."""
    rules = problem.rules
    if group.kind in ("cover", "skill", "pin"):
        shift = problem.shifts[group.shift]
        tier = [p for p in problem.people if p.tier == shift.tier]
        if group.kind == "cover":
            able = [p for p in tier if could_take(p, shift)]
            who = names(able) if len(able) <= 8 else f"{len(able)} people"
            return (
                f"cover:{shift.id}",
                f"{shift_label(shift)} needs {shift.required} (available: {who})",
            )
        if group.kind == "skill":
            need = shift.skills[group.detail]
            able = [p for p in tier if could_take(p, shift) and need.skill in p.skills]
            return (
                f"skill:{shift.id}:{need.skill}",
                f"{shift_label(shift)} needs at least {need.min} with {need.skill} "
                f"(available with {need.skill}: {names(able) or 'nobody'})",
            )
        person = problem.people[group.person]
        return f"pin:{shift.id}:{person.id}", f"{name(person)} is pinned to {shift_label(shift)}"
    person = problem.people[group.person]
    if group.kind == "rest":
        rest = rules.min_rest_hours
        words = (
            f"{name(person)} needs {hours(rest)} hours' rest between shifts"
            if rest
            else f"{name(person)} cannot take overlapping shifts"
        )
        return f"rest:{person.id}", words
    if group.kind == "window":
        window = rules.windows[group.detail]
        return (
            f"window:{person.id}:{hours(window.hours)}h",
            f"{name(person)} may start at most {count(window.max, 'shift')} in any "
            f"{hours(window.hours)} hours",
        )
    if group.kind == "min_shifts":
        return (
            f"min_shifts:{person.id}",
            f"{name(person)} must take at least {count(person.min_shifts, 'shift')}",
        )
    return (
        f"max_shifts:{person.id}",
        f"{name(person)} may take at most {count(person.max_shifts, 'shift')}",
    )


def _order(problem: Problem, group: Group) -> tuple[int, str]:
    """Shift rules first, in time order, then people's rules."""
    if group.shift >= 0:
        return 0, problem.shifts[group.shift].start.isoformat()
    return 1, problem.people[group.person].id


def _solve(rm: RotaModel, literals: list[int], seconds: float) -> tuple[int, list[int]]:
    rm.model.clear_assumptions()
    rm.model.add_assumptions([rm.model.get_bool_var_from_proto_index(i) for i in literals])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds, 0.01)
    # Cores are only reliable from one worker without presolve (or-tools issue #5141).
    solver.parameters.num_workers = 1
    solver.parameters.cp_model_presolve = False
    status = solver.solve(rm.model)
    core: list[int] = []
    if status == cp_model.INFEASIBLE:
        found = set(solver.sufficient_assumptions_for_infeasibility())
        core = [lit for lit in literals if lit in found]
    return int(status), core


def smallest_conflict(problem: Problem, time_limit_s: float = 1.0) -> list[Group] | None:
    """A set of rule groups that cannot all hold, shrunk until none can be dropped (if time)."""
    deadline = time.monotonic() + time_limit_s
    rm = RotaModel(problem, explain=True)
    status, core = _solve(rm, list(rm.groups), time_limit_s / 2)
    if status != cp_model.INFEASIBLE:
        return None
    if not core:
        core = list(rm.groups)
    # Deletion: drop each rule in turn; if the rest still conflict, it was not needed.
    for literal in list(core):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if literal not in core:
            continue
        trial = [lit for lit in core if lit != literal]
        status, smaller = _solve(rm, trial, min(left, 0.3))
        if status == cp_model.INFEASIBLE:
            core = smaller or trial
    groups = [rm.groups[lit] for lit in core]
    return sorted(groups, key=lambda g: _order(problem, g))


def explain(problem: Problem, time_limit_s: float = 1.0) -> tuple[Explanation, ...]:
    """Coordinator-readable reasons why no rota keeps every hard rule."""
    obvious = precheck(problem)
    if obvious:
        return tuple(obvious[:_MAX_EXPLANATIONS])
    groups = smallest_conflict(problem, time_limit_s)
    if not groups:
        return (
            Explanation(
                "No rota keeps every rule, but the conflict could not be narrowed down in time",
                (),
            ),
        )
    described = [_describe(problem, g) for g in groups]
    shifts = sorted({problem.shifts[g.shift].start for g in groups if g.shift >= 0})
    span = ""
    if shifts:
        span = (
            f"{when(shifts[0])}: "
            if len(shifts) == 1
            else f"From {when(shifts[0])} to {when(shifts[-1])}: "
        )
    message = span + "these rules cannot all hold: " + "; ".join(w for _, w in described)
    return (Explanation(message, tuple(i for i, _ in described)),)
