"""The daily missing meeting pack as a PDF, printable for the meeting (fpdf2, as the monthly
report): one table per section, case references only, never the notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from oncall.domain.missing import Pack, pack_rows
from oncall.web.ui.audit.pdf import ReportDocument

_HEADER = ("Case", "Risk", "From", "Reported", "Back", "Where", "Interview due", "Repeat",
           "New", "Mornings", "Contacts")  # fmt: skip
_WIDTHS = (26, 16, 30, 28, 28, 20, 28, 14, 12, 18, 57)  # mm: 277 of landscape A4's 277
_TITLES = {
    "still missing": "Still missing (flagged: open at the handover)",
    "returned overnight": "Returned or found overnight",
    "interview due": "Return home interviews due before the next meeting",
    "interview overdue": "Return home interviews overdue",
    "repeat": "Repeats (another episode of the case in the 30 days before)",
}


@dataclass(frozen=True, slots=True)
class PackPdf:
    pack: Pack
    zone: ZoneInfo
    prepared_at: datetime  # local time
    prepared_by: str


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value).replace("_", " ")


def pack_pdf(p: PackPdf) -> bytes:
    """The PDF file. CPU work: callers run it in a thread."""
    pack = p.pack
    pdf = ReportDocument(pack.title)
    pdf.add_page()
    pdf.heading(pack.title, 16)
    pdf.para(
        f"As things stood at the handover, {pack.at.astimezone(p.zone):%a %d %b %Y %H:%M}; the "
        f"night from {pack.start.astimezone(p.zone):%a %d %b %H:%M}. Prepared "
        f"{p.prepared_at:%d %b %Y %H:%M} by {p.prepared_by}. Case references only: notes are on "
        "each episode's page."
    )
    rows = pack_rows(pack, p.zone)
    for label, title in _TITLES.items():
        pdf.grid(
            title, _HEADER, [[_cell(v) for v in row[1:]] for row in rows if row[0] == label],
            _WIDTHS,
        )  # fmt: skip
    return bytes(pdf.output())
