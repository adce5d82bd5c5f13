"""Escalation: outbox lease and cancelled states, sent time, alert person, shift confirmations.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_STATUSES = (
    "'pending', 'queued', 'sent', 'delivered', 'undelivered', 'failed', 'ringing', "
    "'in-progress', 'completed', 'no-answer', 'busy'"
)
_NEW_STATUSES = (
    "'pending', 'sending', 'cancelled', 'queued', 'sent', 'delivered', 'undelivered', "
    "'failed', 'ringing', 'in-progress', 'completed', 'no-answer', 'busy'"
)


def upgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbound_messages_status_valid"), type_="check")
        batch_op.create_check_constraint("status_valid", f"status IN ({_NEW_STATUSES})")
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_alerts_person_id_people"), "people", ["person_id"], ["id"]
        )
    op.create_table(
        "shift_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("shift_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shift_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_shift_confirmations_alert_id_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_shift_confirmations_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_confirmations")),
    )
    with op.batch_alter_table("shift_confirmations", schema=None) as batch_op:
        batch_op.create_index(
            "uq_shift_confirmations_person_start", ["person_id", "shift_start"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_shift_confirmations_shift_start"), ["shift_start"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("shift_confirmations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_confirmations_shift_start"))
        batch_op.drop_index("uq_shift_confirmations_person_start")
    op.drop_table("shift_confirmations")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_alerts_person_id_people"), type_="foreignkey")
        batch_op.drop_column("person_id")
    op.execute(
        "UPDATE outbound_messages SET status = 'failed' WHERE status IN ('sending', 'cancelled')"
    )
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_column("sent_at")
        batch_op.drop_constraint(op.f("ck_outbound_messages_status_valid"), type_="check")
        batch_op.create_check_constraint("status_valid", f"status IN ({_OLD_STATUSES})")
