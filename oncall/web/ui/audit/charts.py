"""Charts drawn on the server as inline SVG (no scripts, no CDN): grouped bars with a legend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from oncall.domain.audit import KpiReport

COLOURS = ("#0b5cad", "#cf222e", "#1a7f37", "#9a6700")


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[float | None]


@dataclass(frozen=True, slots=True)
class ChartSpec:
    """What one chart shows, drawn as SVG on the pages and directly in the PDF report."""

    title: str
    labels: Sequence[str]
    series: Sequence[Series]
    unit: str = ""


def chart_specs(report: KpiReport) -> list[ChartSpec]:
    """The KPI pages' charts: calls per night, time to answer per night, answered by line."""
    nights = list(report.by_night)
    labels = [n.strftime("%d %b") for n in nights]
    rows = [report.by_night[n] for n in nights]
    lines = list(report.by_line)
    return [
        ChartSpec(
            "Calls per night: answered and missed",
            labels,
            [
                Series("answered", [r.answered for r in rows]),
                Series("missed", [r.missed for r in rows]),
            ],
        ),
        ChartSpec(
            "Time to answer per night (seconds)",
            labels,
            [
                Series("p50", [r.answer_p50 for r in rows]),
                Series("p90", [r.answer_p90 for r in rows]),
            ],
            " s",
        ),
        ChartSpec(
            "Answered within 30 s and 60 s by line (% of calls)",
            lines,
            [
                Series(
                    "within 30 s",
                    [report.by_line[k].rate(report.by_line[k].answered_30s) for k in lines],
                ),
                Series(
                    "within 60 s",
                    [report.by_line[k].rate(report.by_line[k].answered_60s) for k in lines],
                ),
            ],
            "%",
        ),
    ]


def nice_max(value: float) -> float:
    """The top of the axis: four equal ticks of a round size (1, 2, 2.5, 5 × 10ⁿ) at or above it."""
    if value <= 0:
        return 4.0
    quarter, step = value / 4, 1.0
    while step * 10 < quarter:
        step *= 10
    return 4 * step * next(f for f in (1, 2, 2.5, 5, 10) if step * f >= quarter)


def bar_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str = ""
) -> Markup:
    """Grouped vertical bars, one group per label; an accessible title and a text fallback."""
    width, height, left, bottom, top = 720, 220, 48, 44, 28
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = nice_max(max((v for s in series for v in s.values if v is not None), default=0.0))
    group_w = plot_w / max(1, len(labels))
    bar_w = max(1.0, group_w * 0.8 / max(1, len(series)))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="16" font-weight="600">{escape(title)}</text>',
    ]
    for tick in range(5):
        tick_value = peak * tick / 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">'
            f"{tick_value:g}{escape(unit)}</text>"
        )
    every = max(1, len(labels) // 16)  # keep axis labels legible on a month of nights
    for i, label in enumerate(labels):
        x0 = left + i * group_w + group_w * 0.1
        for j, s in enumerate(series):
            bar = s.values[i] if i < len(s.values) else None
            if bar is None:
                continue
            h = plot_h * bar / peak
            parts.append(
                f'<rect x="{x0 + j * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[j % len(COLOURS)]}">'
                f"<title>{escape(label)}: {escape(s.name)} {bar:g}{escape(unit)}</title></rect>"
            )
        if i % every == 0:
            parts.append(
                f'<text x="{x0 + group_w * 0.4:.1f}" y="{height - bottom + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    for j, s in enumerate(series):
        x = left + j * 160
        parts.append(
            f'<rect x="{x}" y="{height - 14}" width="10" height="10" '
            f'fill="{COLOURS[j % len(COLOURS)]}"/>'
            f'<text x="{x + 14}" y="{height - 5}">{escape(s.name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every piece of text above is escaped)
