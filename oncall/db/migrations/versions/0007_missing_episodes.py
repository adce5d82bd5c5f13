"""Missing from home or care: episodes and their contacts; alert kinds for high and medium risk.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_KINDS = (
    "'missed_call', 'voicemail', 'inbound_sms', 'advice_request', 'shift_unconfirmed', 'no_outcome'"
)
_NEW_KINDS = f"{_OLD_KINDS}, 'missing_high', 'missing_medium'"
_OPEN = sa.text("status = 'open'")


def _alert_kinds(kinds: str) -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_alerts_kind_valid"), type_="check")
        batch_op.create_check_constraint("kind_valid", f"kind IN ({kinds})")
    with op.batch_alter_table("escalation_policies", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_escalation_policies_alert_kind_valid"), type_="check")
        batch_op.create_check_constraint("alert_kind_valid", f"alert_kind IN ({kinds})")


def upgrade() -> None:
    _alert_kinds(_NEW_KINDS)
    op.create_table(
        "missing_episodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_reference", sa.String(length=40), nullable=False),
        sa.Column("risk", sa.String(length=8), nullable=False),
        sa.Column("missing_from", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=80), nullable=False),
        sa.Column("opened_via", sa.String(length=8), nullable=False),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_place", sa.String(length=12), nullable=True),
        sa.Column("returned_recorded_by", sa.String(length=80), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("interview_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("interview_offered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("interview_result", sa.String(length=10), nullable=True),
        sa.Column("interview_result_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("interview_recorded_by", sa.String(length=80), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "interview_result IN ('completed', 'declined')",
            name=op.f("ck_missing_episodes_interview_result_valid"),
        ),
        sa.CheckConstraint(
            "missing_from IN ('home', 'foster_placement', 'residential_home')",
            name=op.f("ck_missing_episodes_missing_from_valid"),
        ),
        sa.CheckConstraint(
            "return_place IN ('home', 'placement', 'police', 'hospital', 'other')",
            name=op.f("ck_missing_episodes_return_place_valid"),
        ),
        sa.CheckConstraint(
            "risk IN ('high', 'medium', 'low')", name=op.f("ck_missing_episodes_risk_valid")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'returned', 'withdrawn')",
            name=op.f("ck_missing_episodes_status_valid"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missing_episodes")),
    )
    with op.batch_alter_table("missing_episodes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_missing_episodes_case_reported", ["case_reference", "reported_at"], unique=False
        )
        batch_op.create_index("ix_missing_episodes_reported_at", ["reported_at"], unique=False)
        batch_op.create_index("ix_missing_episodes_returned_at", ["returned_at"], unique=False)
        batch_op.create_index(
            "ix_missing_episodes_status_due", ["status", "interview_due_at"], unique=False
        )
        # One open episode per case reference, whichever replica opens it.
        batch_op.create_index(
            "uq_missing_episodes_open_case", ["case_reference"], unique=True,
            sqlite_where=_OPEN, postgresql_where=_OPEN,
        )  # fmt: skip
    op.create_table(
        "missing_episode_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_missing_episode_contacts_contact_id_contacts"),
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["missing_episodes.id"],
            name=op.f("fk_missing_episode_contacts_episode_id_missing_episodes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missing_episode_contacts")),
    )
    with op.batch_alter_table("missing_episode_contacts", schema=None) as batch_op:
        batch_op.create_index("ix_missing_episode_contacts_contact", ["contact_id"], unique=False)
        batch_op.create_index(
            "uq_missing_episode_contacts_pair", ["episode_id", "contact_id"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("missing_episode_contacts", schema=None) as batch_op:
        batch_op.drop_index("uq_missing_episode_contacts_pair")
        batch_op.drop_index("ix_missing_episode_contacts_contact")
    op.drop_table("missing_episode_contacts")
    with op.batch_alter_table("missing_episodes", schema=None) as batch_op:
        batch_op.drop_index("uq_missing_episodes_open_case")
        batch_op.drop_index("ix_missing_episodes_status_due")
        batch_op.drop_index("ix_missing_episodes_returned_at")
        batch_op.drop_index("ix_missing_episodes_reported_at")
        batch_op.drop_index("ix_missing_episodes_case_reported")
    op.drop_table("missing_episodes")
    # The older schema knows no missing-child alerts: keep them (their texts and timeline refer
    # to them) as what they are closest to, a senior manager asked to act; their policies go.
    op.execute(
        "UPDATE alerts SET kind = 'advice_request' WHERE kind IN ('missing_high', 'missing_medium')"
    )
    op.execute(
        "UPDATE alerts SET policy_id = NULL WHERE policy_id IN (SELECT id FROM escalation_policies"
        " WHERE alert_kind IN ('missing_high', 'missing_medium'))"
    )
    op.execute(
        "DELETE FROM escalation_policies WHERE alert_kind IN ('missing_high', 'missing_medium')"
    )
    _alert_kinds(_OLD_KINDS)
