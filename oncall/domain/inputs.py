"""What any input must be before the service acts on it: text without control characters, ids of
ASCII digits within their column, dates within one range, names without direction overrides.

The web checks every request against these once, in one middleware (oncall/web/inputs.py); the
domain's own parsers (the leave import, staff forms) use the same rules, so a date the CSV import
refuses is refused by every form and filter as well.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from oncall.domain.errors import Invalid

# Dates outside these years are typing mistakes (and year 1 or 9999 overflows in UTC).
FIRST_YEAR, LAST_YEAR = 2000, 2099
FIRST_DAY, LAST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)
# The id columns: INTEGER (32-bit signed on PostgreSQL) and BIGINTEGER.
MAX_ID = 2**31 - 1
MAX_BIG_ID = 2**63 - 1
# Characters that reorder the text around them (U+202A-U+202E, U+2066-U+2069): a name holding
# one shows as something else than it is ("Trojan Source"), so names refuse them.
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_ALLOWED_CONTROLS = frozenset("\t\n\r")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


def text_problem(value: str) -> str | None:
    """What is wrong with a piece of text from outside, or None: NUL and other control characters
    (tab and line breaks excepted) and lone surrogates cannot be stored or shown faithfully."""
    for ch in value:
        if ch in _ALLOWED_CONTROLS:
            continue
        category = unicodedata.category(ch)
        if category == "Cc":
            return f"contains a control character (U+{ord(ch):04X})"
        if category == "Cs":
            return "contains an unpaired surrogate"
    return None


def check_text(field: str, value: str, *, limit: int) -> str:
    """`value` if it is clean text of at most `limit` characters; Invalid naming `field` if not."""
    problem = text_problem(value)
    if problem is not None:
        raise Invalid(field, problem)
    if len(value) > limit:
        raise Invalid(field, f"longer than {limit} characters")
    return value


def check_name(field: str, value: str, *, limit: int = 200) -> str:
    """A person's or a record's name: clean text without direction-override characters."""
    check_text(field, value, limit=limit)
    if any(ch in BIDI_CONTROLS for ch in value):
        raise Invalid(field, "contains a text-direction override character")
    return value


def parse_id(field: str, raw: str, *, maximum: int = MAX_ID) -> int:
    """A record id: ASCII digits only (int() would take "+1", "1_000" and Arabic-Indic digits),
    from 1 to the column's largest value."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19 or not 1 <= int(raw) <= maximum:
        raise Invalid(field, f"expected a record number from 1 to {maximum}")
    return int(raw)


def parse_count(field: str, raw: str, *, maximum: int = MAX_ID) -> int:
    """A whole number from 0 to `maximum` written in ASCII digits."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19 or int(raw) > maximum:
        raise Invalid(field, f"expected a whole number from 0 to {maximum}")
    return int(raw)


def check_day(field: str, day: date) -> date:
    """`day` if it lies within FIRST_YEAR..LAST_YEAR."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise Invalid(field, f"dates run from {FIRST_DAY} to {LAST_DAY}")
    return day


def parse_day(field: str, raw: str) -> date:
    """A date written YYYY-MM-DD within the one range."""
    if not _ISO_DAY.fullmatch(raw):
        raise Invalid(field, "expected a date as YYYY-MM-DD")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise Invalid(field, "no such date") from None
    return check_day(field, day)


def parse_moment(field: str, raw: str) -> datetime:
    """A date and time in ISO form (with or without an offset) whose date is within the range."""
    if not raw.isascii() or not _ISO_DAY.match(raw):
        raise Invalid(field, "expected a date and time as YYYY-MM-DDTHH:MM")
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(field, "expected a date and time as YYYY-MM-DDTHH:MM") from None
    check_day(field, moment.date())
    return moment


def check_month(field: str, raw: str) -> str:
    """A month written YYYY-MM within the range."""
    if not _ISO_MONTH.fullmatch(raw) or not 1 <= int(raw[5:]) <= 12:
        raise Invalid(field, "expected a month as YYYY-MM")
    if not FIRST_YEAR <= int(raw[:4]) <= LAST_YEAR:
        raise Invalid(field, f"months run from {FIRST_YEAR}-01 to {LAST_YEAR}-12")
    return raw
