"""The two ways a rota operation can fail: bad input, or a state that forbids it."""

from __future__ import annotations

from oncall.domain.errors import Conflict, Invalid


class RotaInvalid(Invalid):
    """The request is invalid; the message names the field (e.g. `month: expected YYYY-MM`)."""


class RotaConflict(Conflict):
    """The data forbids the operation (nothing published to repair, an infeasible version)."""
