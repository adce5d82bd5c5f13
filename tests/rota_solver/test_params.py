"""Solver parameters: deterministic mode must not hit OR-Tools' abort in the max_lp subsolver."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "max-lp-abort.pbtxt"

# A child process: the abort (a failed CHECK in C++) ends the whole process, not just the solve.
_SOLVE = """
import sys
from pathlib import Path
from ortools.sat.python import cp_model
from rota_solver.params import solver_for
model = cp_model.CpModel()
model.proto.parse_text_format(Path(sys.argv[1]).read_text())
solver = solver_for(20, 2, 0, deterministic=True)
print(solver.status_name(solver.solve(model)))
"""


def test_deterministic_mode_survives_a_hinted_model_that_aborted_max_lp() -> None:
    # County month seed 5's managers, the focused fairness model with the last rota as its hint
    # (infeasible): two workers interleaved with max_lp among them abort the process.
    done = subprocess.run(
        [sys.executable, "-c", _SOLVE, str(FIXTURE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == "INFEASIBLE"
