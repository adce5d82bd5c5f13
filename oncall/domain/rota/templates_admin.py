"""Shift templates as the coordinator edits them: times, weight, people needed, in use."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import ShiftTemplate
from oncall.domain.errors import Invalid


async def list_templates(session: AsyncSession) -> list[ShiftTemplate]:
    return list(
        await session.scalars(
            select(ShiftTemplate).order_by(ShiftTemplate.tier.desc(), ShiftTemplate.id)
        )
    )


async def update_template(
    session: AsyncSession,
    template_id: int,
    *,
    start_time: str,
    end_time: str,
    weight: str,
    required: str,
    active: bool,
) -> ShiftTemplate:
    """Change a template's times, weight, people needed and whether it is used (flushed)."""
    template = await session.get(ShiftTemplate, template_id)
    if template is None:
        raise Invalid({"template": "no such template"})
    errors: dict[str, str] = {}
    try:
        template.start_time = time.fromisoformat(start_time.strip())
    except ValueError:
        errors["start_time"] = f"{start_time!r} is not a time like 17:00"
    try:
        template.end_time = time.fromisoformat(end_time.strip())
    except ValueError:
        errors["end_time"] = f"{end_time!r} is not a time like 09:00"
    try:
        template.weight = float(weight)
        if template.weight <= 0:
            errors["weight"] = "must be more than 0"
    except ValueError:
        errors["weight"] = f"{weight!r} is not a number"
    try:
        template.required = int(required)
        if template.required < 1:
            errors["required"] = "at least 1"
    except ValueError:
        errors["required"] = f"{required!r} is not a whole number"
    if errors:
        raise Invalid(errors)
    template.active = active
    await session.flush()
    return template
