"""Reading fields of a JSON document while collecting every error, each naming its field."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from fractions import Fraction
from typing import cast


class InvalidProblem(ValueError):
    """The document is not a valid problem; `errors` names every bad field."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


class Reader:
    """Reads fields of JSON objects, collecting errors instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def obj(self, value: object, path: str, keys: set[str]) -> Mapping[str, object] | None:
        if not isinstance(value, dict):
            self.fail(path, "must be an object")
            return None
        for key in value:
            if key not in keys:
                self.fail(f"{path}.{key}" if path else str(key), "unknown key")
        return cast(Mapping[str, object], value)

    def items(self, value: object, path: str) -> list[object]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(path, "must be a list")
            return []
        return list(value)

    def text(self, value: object, path: str, *, empty_ok: bool = False) -> str:
        if not isinstance(value, str) or (not value and not empty_ok):
            self.fail(path, "must be a non-empty string" if not empty_ok else "must be a string")
            return ""
        return value

    def number(self, value: object, path: str, *, sign: str) -> Fraction | None:
        """A JSON number as an exact Fraction; sign is "positive", "nonnegative" or "any"."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, "must be a number")
            return None
        if isinstance(value, float) and not math.isfinite(value):  # Python's JSON reads NaN
            self.fail(path, "must be a finite number")
            return None
        # Decimal reading of the JSON number, so 0.1 means one tenth exactly.
        result = Fraction(value) if isinstance(value, int) else Fraction(repr(value))
        if sign == "positive" and result <= 0:
            self.fail(path, "must be greater than 0")
        if sign == "nonnegative" and result < 0:
            self.fail(path, "must not be negative")
        return result

    def integer(self, value: object, path: str, *, minimum: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, "must be an integer")
            return None
        if value < minimum:
            self.fail(path, f"must be at least {minimum}")
            return None
        return value

    def time(self, value: object, path: str) -> datetime | None:
        if not isinstance(value, str):
            self.fail(path, "must be an ISO 8601 time string")
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.fail(path, f"not an ISO 8601 time: {value!r}")
            return None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            self.fail(path, "time has no UTC offset")
            return None
        return parsed

    def ref(self, value: object, path: str, known: Mapping[str, object], what: str) -> str:
        ident = self.text(value, path)
        if ident and ident not in known:
            self.fail(path, f"unknown {what} {ident!r}")
        return ident

    def unique_ids(self, ids: list[str], path: str) -> None:
        seen: set[str] = set()
        for index, ident in enumerate(ids):
            if ident and ident in seen:
                self.fail(f"{path}[{index}].id", f"duplicate id {ident!r}")
            seen.add(ident)
