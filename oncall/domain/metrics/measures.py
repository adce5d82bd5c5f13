"""Histograms counted by the database, and the time between two columns in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

ANSWER_BOUNDS = (5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0)
ACKNOWLEDGE_BOUNDS = (60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0)
SOLVER_BOUNDS = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)


@dataclass(frozen=True, slots=True)
class Histogram:
    """Cumulative counts at each upper bound, and the count and sum of all observations."""

    bounds: tuple[float, ...]
    cumulative: tuple[int, ...]
    count: int
    total: float

    @classmethod
    def of(cls, values: Sequence[float], bounds: tuple[float, ...]) -> Histogram:
        cumulative = tuple(sum(1 for v in values if v <= b) for b in bounds)
        return cls(bounds, cumulative, len(values), float(sum(values)))


def seconds_between(
    session: AsyncSession, later: InstrumentedAttribute[Any], earlier: InstrumentedAttribute[Any]
) -> ColumnElement[Any]:
    """`later - earlier` in seconds, in SQL (PostgreSQL intervals; SQLite Julian days)."""
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        # date_part gives a double; extract() gives numeric since PostgreSQL 14 (slow to sum).
        return func.date_part("epoch", later - earlier)
    # Julian days are floats good to ~40 µs today: round to the millisecond.
    return func.round((func.julianday(later) - func.julianday(earlier)) * 86400.0, 3)
