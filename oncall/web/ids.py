"""The largest record id a URL or a webhook may name (INTEGER columns): oncall.domain.inputs says,
and the input middleware (oncall/web/inputs.py) refuses a larger one with a 400."""

from __future__ import annotations

from oncall.domain.inputs import MAX_ID

__all__ = ["MAX_ID"]
