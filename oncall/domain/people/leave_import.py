"""Importing a leave spreadsheet (CSV): every row is checked, and either all rows are recorded or,
when any row is wrong, none are and the report lists each bad row with what is wrong with it."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import Person, Unavailability
from oncall.domain.inputs import FIRST_YEAR, LAST_YEAR, text_problem
from oncall.domain.people.staff import StaffInvalid, local_range, parse_reason

MAX_ROWS = 5000
MAX_BYTES = 1_000_000
# Header names people use in their spreadsheets, for each column we need.
COLUMNS = {
    "code": ("code", "person", "staff code", "id"),
    "start": ("start", "from", "first day", "start date"),
    "end": ("end", "to", "last day", "end date"),
    "reason": ("reason", "type", "kind"),
    "note": ("note", "notes", "comment"),
}
REQUIRED = ("code", "start", "end")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int  # the spreadsheet's line number, the header being line 1
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class ImportedRow:
    line: int
    code: str
    start: datetime
    end: datetime
    reason: str
    note: str


@dataclass
class LeaveImport:
    """The outcome: rows recorded (when there are no errors), or the errors and nothing else."""

    rows: list[ImportedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    recorded: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _columns(header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    found: dict[str, int] = {}
    names = [h.strip().lower() for h in header]
    for column, aliases in COLUMNS.items():
        for i, name in enumerate(names):
            if name in aliases:
                found[column] = i
                break
    errors = [
        RowError(1, column, f"no '{column}' column (the header has: {', '.join(header)})")
        for column in REQUIRED
        if column not in found
    ]
    return found, errors


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):  # Excel on Windows saves CSV as cp1252
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


async def import_leave(
    session: AsyncSession, data: bytes, *, zone: ZoneInfo, now: datetime, by: str
) -> LeaveImport:
    """Check every row; record them all (flushed, not committed) only if every row is good."""
    result = LeaveImport()
    if len(data) > MAX_BYTES:
        result.errors.append(RowError(0, "file", "larger than 1 MB; split it"))
        return result
    text = _decode(data)
    try:
        sample = text[:2048]
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        rows = list(reader)
    except csv.Error as exc:  # e.g. a cell past the csv module's 128 KiB field limit
        result.errors.append(RowError(reader.line_num, "file", f"not a readable CSV file: {exc}"))
        return result
    if not rows:
        result.errors.append(RowError(0, "file", "the file is empty"))
        return result
    if len(rows) > MAX_ROWS + 1:
        result.errors.append(RowError(0, "file", f"more than {MAX_ROWS} rows; split it"))
        return result
    columns, header_errors = _columns(rows[0])
    if header_errors:
        result.errors.extend(header_errors)
        return result
    people = dict((await session.execute(select(Person.code, Person.id))).all())
    seen: set[tuple[str, datetime, datetime]] = set()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines at the end of a spreadsheet

        def cell(column: str, row: list[str] = row) -> str:
            index = columns.get(column)
            return row[index].strip() if index is not None and index < len(row) else ""

        code = cell("code").lower()
        errors: dict[str, str] = {}
        for column in columns:
            problem = text_problem(cell(column))
            if problem is not None:
                errors[column] = problem
        if not code:
            errors["code"] = "empty"
        elif code not in people:
            errors["code"] = f"nobody has the code {code!r}"
        start = end = None
        try:
            start, end = local_range(cell("start"), cell("end"), zone)
        except StaffInvalid as exc:
            errors.update(exc.errors)
        except OverflowError:  # the day after 31/12/9999
            errors["end"] = "is past the last date this service can hold"
        for name, value in (("start", start), ("end", end)):
            if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
                errors[name] = f"must be in the years {FIRST_YEAR} to {LAST_YEAR}"
                start = end = None
        reason = ""
        try:
            reason = parse_reason(cell("reason"))
        except StaffInvalid as exc:
            errors.update(exc.errors)
        if start is not None and end is not None and (code, start, end) in seen:
            errors["row"] = "the same as an earlier row"
        if errors:
            result.errors.extend(RowError(number, k, v) for k, v in errors.items())
            continue
        assert start is not None and end is not None
        seen.add((code, start, end))
        result.rows.append(ImportedRow(number, code, start, end, reason, cell("note")[:500]))
    if not result.rows and not result.errors:
        result.errors.append(RowError(0, "file", "no rows under the header"))
    if result.errors:
        result.rows = []  # all or nothing
        return result
    for item in result.rows:
        session.add(
            Unavailability(
                person_id=people[item.code], start=item.start, end=item.end,
                reason=item.reason, note=item.note or f"imported by {by}", created_at=now,
            )
        )  # fmt: skip
    await session.flush()
    result.recorded = len(result.rows)
    return result
