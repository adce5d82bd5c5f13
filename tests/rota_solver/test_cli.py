"""`python -m rota_solver solve|check` as a subprocess, on the example fixture."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.rota_solver.helpers import at, document, person, shift

FIXTURE = Path(__file__).parent / "fixtures" / "rota-problem-small.json"
ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rota_solver", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,  # so `-m rota_solver` finds this checkout whatever directory pytest ran from
    )


def test_solve_then_check_the_example(tmp_path: Path) -> None:
    out = tmp_path / "solution.json"
    solved = _run("solve", str(FIXTURE), "-o", str(out), "--time-limit", "30", "--seed", "3")
    assert solved.returncode == 0, solved.stderr
    assert "fairness" in solved.stderr and "bound" in solved.stderr  # progress lines
    solution = json.loads(out.read_text())
    assert solution["format"] == "oncall-rota-solution/1"
    assert solution["status"] in ("optimal", "feasible")
    assert solution["stats"]["seed"] == 3
    assert len(solution["assignments"]) == 44  # 20 nights + 8 weekend days × 2 + 8 manager shifts
    checked = _run("check", str(FIXTURE), str(out))
    assert checked.returncode == 0, checked.stdout
    solution["objective"]["fairness"] += 1
    out.write_text(json.dumps(solution))
    tampered = _run("check", str(FIXTURE), str(out))
    assert tampered.returncode == 1
    assert "objective.fairness" in tampered.stdout


def test_solution_on_stdout_and_infeasible_exit_code(tmp_path: Path) -> None:
    path = tmp_path / "problem.json"
    leave = [{"start": at(0), "end": at(2), "reason": "annual leave"}]
    path.write_text(json.dumps(document([shift("n0", 0)], [person("a", unavailable=leave)])))
    result = _run("solve", str(path))
    assert result.returncode == 1
    solution = json.loads(result.stdout)
    assert solution["status"] == "infeasible"
    assert solution["assignments"] == []
    assert "none available" in solution["explanation"][0]["message"]


def test_invalid_input_exits_2_naming_every_field(tmp_path: Path) -> None:
    doc = document([shift("n0", 0)], [person("a")])
    doc["shifts"][0]["end"] = "2027-01-01T00:00:00+00:00"
    doc["people"][0]["unavailable"] = [{"start": "2027-01-04T00:00:00", "end": at(1)}]
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(doc))
    result = _run("solve", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "shifts[0].end: before start" in result.stderr
    assert "people[0].unavailable[0].start: time has no UTC offset" in result.stderr
    checked = _run("check", str(path), str(path))
    assert checked.returncode == 2
