"""A session's one-time notice ("Line saved.", "Leave not saved: ..."): kept with the session
and shown once on the next page, instead of travelling in the URL where anyone could write one.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-05 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_sessions") as batch:
        batch.add_column(sa.Column("notice", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_sessions") as batch:
        batch.drop_column("notice")
