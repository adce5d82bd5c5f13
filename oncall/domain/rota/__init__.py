"""The rota: months, problems for the solver, versions, publishing, repair and exports; manual
shift edits, publication notices, shift templates (the defaults and their admin), the private
calendar feed, swap and leave requests, and duty overrides. The one translator to `rota_solver`:
nothing else in `oncall` imports it.

Every function takes an AsyncSession and never commits: the caller owns the transaction, so a
failure anywhere leaves no half-written version. `generate` and `repair` also take a session
factory instead, for web jobs: then each step commits its own short transaction, and none is open
while the solver runs (`transactions`).
"""

from oncall.domain.rota.calendar_feed import (
    active_token,
    feed,
    new_token,
    person_for_token,
    revoke_tokens,
)
from oncall.domain.rota.default_templates import default_templates
from oncall.domain.rota.edits import (
    Replacement,
    candidates,
    check_replacement,
    save_replacement,
    set_locked,
)
from oncall.domain.rota.errors import RotaConflict, RotaInvalid
from oncall.domain.rota.export import export_csv, export_ics, export_json
from oncall.domain.rota.months import Month, cut_shifts, island_holidays
from oncall.domain.rota.notices import notify_published
from oncall.domain.rota.overrides import add_override, cancel_override, current_overrides
from oncall.domain.rota.problem import DEFAULT_RULES, RotaRules, build_problem
from oncall.domain.rota.publishing import publish
from oncall.domain.rota.repair import Move, RepairResult, repair, version_diff
from oncall.domain.rota.report import FairnessReport, fairness_report
from oncall.domain.rota.requests import (
    cancel_swap,
    colleagues_for,
    decide_leave,
    decide_swap,
    leave_requests,
    request_leave,
    request_swap,
    swap_requests,
    upcoming_shifts,
)
from oncall.domain.rota.solving import ProgressCallback, SolveProgress, generate, solve_problem
from oncall.domain.rota.templates_admin import list_templates, update_template
from oncall.domain.rota.text import heading, move_lines, report_lines, rota_table, version_list
from oncall.domain.rota.versions import (
    LoadedVersion,
    find_version,
    load_version,
    month_versions,
    period_for,
    rota_months,
    store_version,
)

__all__ = [
    "DEFAULT_RULES",
    "FairnessReport",
    "LoadedVersion",
    "Month",
    "Move",
    "ProgressCallback",
    "RepairResult",
    "Replacement",
    "RotaConflict",
    "RotaInvalid",
    "RotaRules",
    "SolveProgress",
    "active_token",
    "add_override",
    "build_problem",
    "cancel_override",
    "cancel_swap",
    "candidates",
    "check_replacement",
    "colleagues_for",
    "current_overrides",
    "cut_shifts",
    "decide_leave",
    "decide_swap",
    "default_templates",
    "export_csv",
    "export_ics",
    "export_json",
    "fairness_report",
    "feed",
    "find_version",
    "generate",
    "heading",
    "island_holidays",
    "leave_requests",
    "list_templates",
    "load_version",
    "month_versions",
    "move_lines",
    "new_token",
    "notify_published",
    "period_for",
    "person_for_token",
    "publish",
    "repair",
    "report_lines",
    "request_leave",
    "request_swap",
    "revoke_tokens",
    "rota_months",
    "rota_table",
    "save_replacement",
    "set_locked",
    "solve_problem",
    "store_version",
    "swap_requests",
    "upcoming_shifts",
    "update_template",
    "version_diff",
    "version_list",
]
