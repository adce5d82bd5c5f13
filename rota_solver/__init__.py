"""Pure rota solver: a problem document in, the fairest legal rota (or why there is none) out."""

from rota_solver.api import evaluate, solve
from rota_solver.check import Violation, check
from rota_solver.fields import InvalidProblem
from rota_solver.jsonio import (
    InvalidSolution,
    problem_to_json,
    solution_from_json,
    solution_to_json,
)
from rota_solver.model import Assignment, Problem, Progress, Solution
from rota_solver.parse import parse_problem
from rota_solver.solve import NoRotaFound, SolveCancelled

__all__ = [
    "Assignment",
    "InvalidProblem",
    "InvalidSolution",
    "NoRotaFound",
    "Problem",
    "Progress",
    "Solution",
    "SolveCancelled",
    "Violation",
    "check",
    "evaluate",
    "parse_problem",
    "problem_to_json",
    "solution_from_json",
    "solution_to_json",
    "solve",
]
