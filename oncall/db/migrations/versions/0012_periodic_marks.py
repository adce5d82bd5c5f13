"""When a replica last started a pass of a shared periodic job (the provider recovery), so that a
replica back from a database outage can tell that another replica's pass already covered it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "periodic_marks",
        sa.Column("job", sa.String(length=60), primary_key=True),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("periodic_marks")
