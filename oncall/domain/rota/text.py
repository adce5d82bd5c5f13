"""Plain-text views of a rota for the command line: the table per tier, the fairness report."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from oncall.db.models import RotaVersion
from oncall.domain.rota.repair import Move
from oncall.domain.rota.report import FairnessReport
from oncall.domain.rota.versions import LoadedVersion

TIER_TITLES = {"worker": "First tier (social workers)", "manager": "Senior managers"}
FIGURE_WORDS = {
    "changes": "changes from the published rota",
    "fairness": "fairness (sum of squared deviations)",
    "category_fairness": "category fairness",
    "broken_requests": "broken requests (weight)",
    "spread_pairs": "duties closer than the spread",
}


def heading(loaded: LoadedVersion) -> str:
    v = loaded.version
    parts = [f"{loaded.month.key} version {v.number}: {v.status}"]
    parts.append(f"solver {v.solver_status or 'not run'}")
    if v.reason:
        parts.append(v.reason)
    if v.published_at:
        parts.append(f"published {v.published_at:%Y-%m-%d %H:%M} UTC by {v.published_by}")
    return ", ".join(parts)


def version_list(versions: list[RotaVersion]) -> str:
    """One line naming every version of the month and its status: `1 superseded, 2 published`."""
    return "versions: " + ", ".join(f"{v.number} {v.status}" for v in versions)


def rota_table(loaded: LoadedVersion, zone: ZoneInfo) -> list[str]:
    """The shifts of each tier in date order, with local times and their people in order."""
    lines: list[str] = []
    for tier in ("worker", "manager"):
        shifts = [s for s in loaded.version.shifts if s.tier == tier]
        if not shifts:
            continue
        lines += ["", TIER_TITLES.get(tier, tier), f"  {'date':<11}{'shift':<14}{'time':<26}people"]
        for shift in shifts:
            start, end = shift.start.astimezone(zone), shift.end.astimezone(zone)
            when = f"{start:%H:%M} to {end:%a %d %H:%M}"
            crew = ", ".join(f"{p.code} {p.name}" for p in loaded.crew(shift)) or "(nobody)"
            lines.append(f"  {start:%a %d %b} {shift.key:<14}{when:<26}{crew}")
    return lines


def report_lines(report: FairnessReport) -> list[str]:
    """The load table per tier, the objective figures (and which are proven), broken requests."""
    if report.status == "infeasible":
        return ["", "No rota keeps every hard rule:", *(f"  - {m}" for m in report.explanation)]
    lines: list[str] = []
    # A category with nothing in it this month (bank holidays in February) is only noise.
    categories = sorted(
        {c for p in report.people for c, v in p.categories.items() if v.target or v.count or v.dev}
    )
    head = f"  {'person':<7}{'name':<24}{'fte':>5}{'shifts':>7}{'carried':>8}{'load':>7}"
    head += f"{'target':>8}{'dev':>7}" + "".join(f"{c[:12]:>13}" for c in categories)
    for tier in ("worker", "manager"):
        people = [p for p in report.people if p.tier == tier]
        if not people:
            continue
        lines += ["", f"{TIER_TITLES.get(tier, tier)}: load, target and balance (dev)", head]
        for p in people:
            row = f"  {p.code:<7}{p.name[:23]:<24}{p.fte:>5.2f}{p.shifts:>7}{p.carried:>+8.2f}"
            row += f"{p.load:>7.2f}{p.target:>8.2f}{p.dev:>+7.2f}"
            for c in categories:
                cat = p.categories.get(c)
                row += f"{cat.dev:>+13.2f}" if cat else f"{'':>13}"
            lines.append(row)
        figures = report.tiers.get(tier, {})
        if figures:
            lines.append(
                f"  most over {figures.get('max_overload', 0):+.2f}, "
                f"most under {figures.get('max_underload', 0):+.2f}"
            )
    lines += ["", "Figures (in the order the solver optimises them):"]
    for name, words in FIGURE_WORDS.items():
        value = report.objective.get(name)
        if value is None:
            continue
        proof = "proven best" if report.proven.get(name) else "not proven best (time limit)"
        lines.append(f"  {words:<38}{value:>10.3f}  {proof}")
    if report.wall_time_s is not None:
        lines.append(f"  solved in {report.wall_time_s:.1f} s")
    lines += ["", f"Broken requests: {len(report.broken) or 'none'}"]
    lines += [f"  {b.person} {b.kind} {b.what} (weight {b.weight:g})" for b in report.broken]
    return lines


def move_lines(moves: list[Move], zone: ZoneInfo) -> list[str]:
    if not moves:
        return ["No one moves."]
    lines = [f"{len(moves)} shift(s) change:", f"  {'shift':<14}{'starts':<18}{'out':<14}in"]
    for m in moves:
        start = f"{m.start.astimezone(zone):%a %d %b %H:%M}"
        lines.append(f"  {m.shift:<14}{start:<18}{', '.join(m.out) or '-':<14}{', '.join(m.into)}")
    return lines
