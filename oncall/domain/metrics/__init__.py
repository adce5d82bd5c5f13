"""Figures for /metrics: business figures read from the database, loop timings of this process."""

from oncall.domain.metrics.figures import Figures, read_figures
from oncall.domain.metrics.loops import LoopStats, loop_stats, timed_pass
from oncall.domain.metrics.measures import ANSWER_BOUNDS, SOLVER_BOUNDS, Histogram

__all__ = [
    "ANSWER_BOUNDS",
    "SOLVER_BOUNDS",
    "Figures",
    "Histogram",
    "LoopStats",
    "loop_stats",
    "read_figures",
    "timed_pass",
]
