"""`python -m rota_solver solve|check`: JSON files in, JSON out, progress on stderr."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rota_solver.api import solve
from rota_solver.check import check
from rota_solver.fields import InvalidProblem
from rota_solver.jsonio import InvalidSolution, solution_from_json, solution_to_json
from rota_solver.model import Problem, Progress
from rota_solver.parse import parse_problem
from rota_solver.solve import NoRotaFound

EXIT_OK, EXIT_INFEASIBLE, EXIT_INVALID, EXIT_NO_ROTA = 0, 1, 2, 3


def _load(path: str) -> object:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InvalidProblem([f"{path}: {error}"]) from error


def _problem(path: str) -> Problem:
    return parse_problem(_load(path))


def _print_progress(update: Progress) -> None:
    best = "-" if update.best is None else f"{update.best:.6g}"
    bound = "-" if update.bound is None else f"{update.bound:.6g}"
    print(
        f"[{update.elapsed_s:7.2f}s] {update.stage:<17} best {best:>12}  bound {bound:>12}",
        file=sys.stderr,
        flush=True,
    )


def _solve(args: argparse.Namespace) -> int:
    problem = _problem(args.problem)
    try:
        solution = solve(
            problem,
            time_limit_s=args.time_limit,
            workers=args.workers,
            seed=args.seed,
            progress=_print_progress,
            deterministic=args.deterministic,
        )
    except NoRotaFound as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_NO_ROTA
    text = json.dumps(solution_to_json(solution), indent=1, ensure_ascii=False) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    print(f"status: {solution.status}", file=sys.stderr)
    for item in solution.explanation:
        print(f"  {item.message}", file=sys.stderr)
    return EXIT_INFEASIBLE if solution.status == "infeasible" else EXIT_OK


def _check(args: argparse.Namespace) -> int:
    problem = _problem(args.problem)
    try:
        solution = solution_from_json(_load(args.solution))
    except InvalidSolution as error:
        for message in error.errors:
            print(message, file=sys.stderr)
        return EXIT_INVALID
    violations = check(problem, solution)
    for violation in violations:
        print(f"{violation.rule}: {violation.message}")
    if not violations:
        print(f"ok: {solution.status}, every hard rule holds and every figure is right")
    return 1 if violations else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m rota_solver", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("solve", help="solve a problem")
    run.add_argument("problem")
    run.add_argument("-o", "--output")
    run.add_argument("--time-limit", type=float, default=60.0)
    run.add_argument("--workers", type=int, default=2)
    run.add_argument("--seed", type=int, default=0)
    run.add_argument(
        "--deterministic",
        action="store_true",
        help="same rota for the same seed and workers, even with several workers (slower)",
    )
    verify = commands.add_parser("check", help="check a solution without the solver")
    verify.add_argument("problem")
    verify.add_argument("solution")
    args = parser.parse_args(argv)
    try:
        return _solve(args) if args.command == "solve" else _check(args)
    except InvalidProblem as error:
        for message in error.errors:
            print(message, file=sys.stderr)
        return EXIT_INVALID
