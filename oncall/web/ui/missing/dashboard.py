"""Senior leaders' dashboard of missing episodes (managers and admins): the figures of a period,
server-drawn SVG charts like the KPIs', and the CSV."""

from __future__ import annotations

from datetime import date, timedelta

from aiohttp import web
from markupsafe import Markup

from oncall import keys
from oncall.db.models import Role
from oncall.domain.missing import (
    Dashboard,
    EpisodeInvalid,
    dashboard,
    dashboard_csv,
    default_period,
)
from oncall.web.auth import require
from oncall.web.ui.audit.charts import Series, bar_chart
from oncall.web.ui.audit.common import logged_read
from oncall.web.ui.common import download, page

routes = web.RouteTableDef()
LEADERS = (Role.MANAGER, Role.ADMIN)
MAX_DAYS = 400


def _period(request: web.Request) -> tuple[date, date]:
    """Local days [from, to]; the last twelve weeks when not given."""
    settings = request.config_dict[keys.SETTINGS]
    first, last = default_period(request.config_dict[keys.CLOCK].now(), settings.zone)

    def day(name: str, default: date) -> date:
        raw = request.query.get(name, "").strip()
        try:
            return date.fromisoformat(raw) if raw else default
        except ValueError:
            raise EpisodeInvalid(name, "not a date (YYYY-MM-DD)") from None

    first, last = day("from", first), day("to", last)
    if last < first:
        raise EpisodeInvalid("to", "is before from")
    if (last - first).days > MAX_DAYS:
        raise EpisodeInvalid("to", f"a period is at most {MAX_DAYS} days")
    return first, last


def _hours(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 1)


def charts(d: Dashboard) -> list[Markup]:
    """Episodes per week by risk; and each week's median hours missing and to the first action."""
    labels = [w.monday.strftime("%d %b") for w in d.week_rows]
    by_risk = [
        Series(risk, [w.by_risk.get(risk, 0) for w in d.week_rows])
        for risk in ("high", "medium", "low")
    ]
    medians = [
        Series("missing", [_hours(w.median_missing) for w in d.week_rows]),
        Series("to the first action", [_hours(w.median_first_action) for w in d.week_rows]),
    ]
    return [
        bar_chart("Episodes reported per week, by risk", labels, by_risk),
        bar_chart("Median hours per week: missing, and to the first action", labels, medians,
                  unit=" h"),
    ]  # fmt: skip


async def _figures(request: web.Request, what: str) -> Dashboard:
    first, last = _period(request)
    settings = request.config_dict[keys.SETTINGS]
    now = request.config_dict[keys.CLOCK].now()
    async with request.config_dict[keys.DATABASE].sessions() as session:
        d = await dashboard(session, first=first, last=last, now=now, zone=settings.zone)
        await logged_read(request, session, what, query={"from": str(first), "to": str(last)})
    return d


@routes.get("/missing/dashboard")
@require(*LEADERS)
async def dashboard_page(request: web.Request) -> web.Response:
    d = await _figures(request, "missing dashboard")
    zone = request.config_dict[keys.SETTINGS].zone
    return page(
        request,
        "missing/dashboard.html",
        {
            "d": d, "charts": charts(d), "first": d.start.astimezone(zone).date(),
            "last": (d.end.astimezone(zone) - timedelta(days=1)).date(),
        },
    )  # fmt: skip


@routes.get("/missing/dashboard.csv")
@require(*LEADERS)
async def dashboard_download(request: web.Request) -> web.Response:
    d = await _figures(request, "missing dashboard (CSV)")
    zone = request.config_dict[keys.SETTINGS].zone
    first, last = d.start.astimezone(zone).date(), (d.end.astimezone(zone) - timedelta(days=1))
    name = f"missing-figures-{first}-{last.date()}.csv"
    return download(dashboard_csv(d, zone), name, "text/csv")
