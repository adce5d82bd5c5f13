"""The monthly report as a PDF, drawn with fpdf2 (pure Python: no system libraries to install)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from oncall.domain.audit import ChainStatus, Figures, KpiReport
from oncall.web.ui.audit.charts import COLOURS, ChartSpec, nice_max

_COLUMNS = ("", "Contacts", "Calls", "Answered <=30 s", "Answered <=60 s", "Answer p50",
            "Answer p90", "Missed", "Escalations", "Ack p50", "Ack p90", "No outcome")  # fmt: skip
_WIDTHS = (41, 20, 18, 26, 26, 20, 20, 18, 22, 18, 18, 22)  # mm: 269 of landscape A4's 277


@dataclass(frozen=True, slots=True)
class ReportPdf:
    """Everything the printed monthly report shows (the HTML page shows the same)."""

    month: str  # "January 2027"
    prepared_at: datetime  # local time
    prepared_by: str
    report: KpiReport
    outcomes: Mapping[str, int]
    charts: Sequence[ChartSpec]
    chain: ChainStatus
    zone: ZoneInfo


def latin1(text: str) -> str:
    # The PDF's core fonts are Latin-1; names and notes may hold anything.
    return text.replace("—", "-").replace("…", "...").encode("latin-1", "replace").decode("latin-1")


def secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} s"


def pct(f: Figures, part: int) -> str:
    rate = f.rate(part)
    return "-" if rate is None else f"{part} ({rate:.0f}%)"


def _row(key: str, f: Figures) -> list[str]:
    return [key, str(f.contacts), str(f.calls), pct(f, f.answered_30s), pct(f, f.answered_60s),
            secs(f.answer_p50), secs(f.answer_p90), str(f.missed), str(f.escalations),
            secs(f.ack_p50), secs(f.ack_p90), str(f.without_outcome)]  # fmt: skip


def summary_lines(r: ReportPdf) -> list[str]:
    t = r.report.total
    return [
        f"{t.contacts} contacts, {t.calls} calls; {pct(t, t.answered_30s)} answered within 30 s, "
        f"{pct(t, t.answered_60s)} within 60 s; median time to answer {secs(t.answer_p50)} "
        f"(p90 {secs(t.answer_p90)}).",
        f"{t.missed} missed calls; {t.escalations} contacts escalated; median time to acknowledge "
        f"an alert {secs(t.ack_p50)} (p90 {secs(t.ack_p90)}).",
        f"{t.without_outcome} contacts without a recorded outcome; {r.report.forwarded} calls "
        "outside hours forwarded to the daytime desk.",
    ]


def chain_line(c: ChainStatus, zone: ZoneInfo) -> str:
    if c.ok is None or c.verified_at is None:
        return f"Hash chain: never verified ({c.head_seq} events)."
    when = f"{c.verified_at.astimezone(zone):%d %b %Y %H:%M} by {c.verified_by}"
    if c.ok:
        return f"Hash chain: OK, all {c.checked} events verified {when}."
    return f"Hash chain: BROKEN at event {c.broken_seq}: {c.problem} (verified {when})."


class ReportDocument(FPDF):
    """A landscape A4 report: a titled footer, headings, paragraphs, tables and bar charts (the
    monthly report's, and the missing meeting pack's)."""

    def __init__(self, title: str) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self._title = title
        self.set_auto_page_break(auto=True, margin=14)
        self.set_title(title)
        self.set_author("Out-of-hours service")
        self.set_creator("oncall")

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("Helvetica", size=8)
        self.cell(0, 5, latin1(f"{self._title} - page {self.page_no()}"), align="C")

    def heading(self, text: str, size: int = 13) -> None:
        self.set_font("Helvetica", "B", size)
        self.cell(0, 8, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Helvetica", size=9)

    def para(self, text: str) -> None:
        self.multi_cell(0, 5, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def grid(self, caption: str, header: Sequence[str], rows: Iterable[Sequence[str]],
             widths: Sequence[float]) -> None:  # fmt: skip
        self.set_font("Helvetica", "I", 9)
        self.cell(0, 6, latin1(caption), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Helvetica", size=8)
        self.set_fill_color(238, 241, 244)  # a chart's last colour must not fill the table
        aligns = ("LEFT",) + ("RIGHT",) * (len(header) - 1)
        with self.table(
            col_widths=tuple(widths), width=sum(widths), align="LEFT", text_align=aligns,
            line_height=4.5, first_row_as_headings=True, cell_fill_mode="ROWS",
        ) as table:  # fmt: skip
            table.row([latin1(h) for h in header])
            body = [list(r) for r in rows] or [["None."] + [""] * (len(header) - 1)]
            for r in body:
                table.row([latin1(v) for v in r])
        self.ln(3)

    def bars(self, chart: ChartSpec, height: float = 42) -> None:
        """Grouped bars, as on the KPI page, with the value printed on each bar."""
        if self.will_page_break(height + 18):
            self.add_page()
        self.set_font("Helvetica", "B", 9)
        self.cell(0, 6, latin1(chart.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        left, top, width = self.l_margin + 14, self.get_y() + 2, self.epw - 16
        values = [v for s in chart.series for v in s.values if v is not None]
        peak = nice_max(max(values, default=0.0))
        self.set_font("Helvetica", size=6)
        self.set_draw_color(208, 215, 222)
        for tick in range(5):
            y = top + height - height * tick / 4
            self.line(left, y, left + width, y)
            self.text(self.l_margin, y + 1, f"{peak * tick / 4:g}{chart.unit}")
        group = width / max(1, len(chart.labels))
        bar = group * 0.8 / max(1, len(chart.series))
        every = max(1, len(chart.labels) // 16)
        for i, label in enumerate(chart.labels):
            x0 = left + i * group + group * 0.1
            for j, series in enumerate(chart.series):
                value = series.values[i] if i < len(series.values) else None
                if value is None:
                    continue
                h = height * value / peak
                self.set_fill_color(*_rgb(COLOURS[j % len(COLOURS)]))
                self.rect(x0 + j * bar, top + height - h, bar, h, style="F")
            if i % every == 0:
                self.text(x0, top + height + 4, latin1(label))
        y = top + height + 7
        for j, series in enumerate(chart.series):
            self.set_fill_color(*_rgb(COLOURS[j % len(COLOURS)]))
            self.rect(left + j * 40, y, 3, 3, style="F")
            self.text(left + j * 40 + 5, y + 2.6, latin1(series.name))
        self.set_y(y + 7)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def report_pdf(r: ReportPdf) -> bytes:
    """The PDF file. CPU work of tens of milliseconds: callers run it in a thread."""
    pdf = ReportDocument(f"Out-of-hours response: {r.month}")
    pdf.add_page()
    pdf.heading(f"Out-of-hours response: {r.month}", 16)
    pdf.para(
        "Children's social care out-of-hours service. "
        f"Prepared {r.prepared_at:%d %b %Y %H:%M} by {r.prepared_by}."
    )
    pdf.heading("Summary")
    for line in summary_lines(r):
        pdf.para(f"- {line}")
    pdf.heading("Outcomes")
    pdf.grid(
        "Contacts by outcome",
        ("Outcome", "Contacts"),
        [(k.replace("_", " "), str(n)) for k, n in r.outcomes.items()],
        (70, 25),
    )
    pdf.heading("Charts")
    for chart in r.charts:
        pdf.bars(chart)
    pdf.add_page()
    pdf.heading("Figures")
    report = r.report
    tables = [
        ("All lines", [("all", report.total)]),
        ("By line", list(report.by_line.items())),
        ("By agency (caller type)", list(report.by_agency.items())),
        ("By worker (calls handled; alerts acknowledged)", list(report.by_worker.items())),
        ("By night (09:00 to 09:00)",
         [(f"{n:%a %d %b}", f) for n, f in report.by_night.items()]),
    ]  # fmt: skip
    for caption, rows in tables:
        pdf.grid(caption, _COLUMNS, [_row(k, f) for k, f in rows], _WIDTHS)
    pdf.para(chain_line(r.chain, r.zone))
    return bytes(pdf.output())
