"""Every CSV the service writes goes through here: cells a spreadsheet would run as a formula are
defused (OWASP "CSV injection"), so a name like =HYPERLINK(...) is shown, never run.

Used by the audit exports, the morning handover, the missing-episode pack and dashboard, and the
rota export; a test (tests/reliability/test_findings_validation.py) holds every CSV to it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

# A cell starting with one of these is a formula to Excel, LibreOffice or Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The line a streamed CSV ends with when it failed part way, so nobody takes it for complete.
FAILED_LINE = "ERROR: the export failed part way; this file is incomplete. Try again.\r\n"


def safe_cell(value: Any) -> str:
    """A cell a spreadsheet will not run: text starting = + - @ (or tab, CR) gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows: Sequence[Sequence[Any]]) -> str:
    """Rows as CSV text (CRLF line ends), every cell through safe_cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([[safe_cell(v) for v in row] for row in rows])
    return buffer.getvalue()
