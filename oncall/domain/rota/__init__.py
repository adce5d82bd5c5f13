"""The rota: months, problems for the solver, versions, publishing, repair and exports.

Every function takes an AsyncSession and never commits: the caller owns the transaction, so a
failure anywhere leaves no half-written version.
"""

from oncall.domain.rota.errors import RotaConflict, RotaInvalid
from oncall.domain.rota.export import export_csv, export_ics, export_json
from oncall.domain.rota.months import Month
from oncall.domain.rota.problem import DEFAULT_RULES, RotaRules, build_problem
from oncall.domain.rota.publishing import publish
from oncall.domain.rota.repair import Move, RepairResult, repair, version_diff
from oncall.domain.rota.report import FairnessReport, fairness_report
from oncall.domain.rota.solving import ProgressCallback, SolveProgress, generate, solve_problem
from oncall.domain.rota.versions import LoadedVersion, find_version, load_version

__all__ = [
    "DEFAULT_RULES",
    "FairnessReport",
    "LoadedVersion",
    "Month",
    "Move",
    "ProgressCallback",
    "RepairResult",
    "RotaConflict",
    "RotaInvalid",
    "RotaRules",
    "SolveProgress",
    "build_problem",
    "export_csv",
    "export_ics",
    "export_json",
    "fairness_report",
    "find_version",
    "generate",
    "load_version",
    "publish",
    "repair",
    "solve_problem",
    "version_diff",
]
