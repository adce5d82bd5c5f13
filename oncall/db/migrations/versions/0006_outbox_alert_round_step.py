"""Outbox: the round and step index of the escalation step that sent a message, as columns.

They were only in the message's dedupe key ("alert:<alert>:r<round>:s<step>:p<person>:<channel>")
and read back from it; existing rows are filled from that key.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:00:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALERT_KEY = re.compile(r"^alert:\d+:r(\d+):s(\d+):")

_messages = sa.table(
    "outbound_messages",
    sa.column("id", sa.Integer),
    sa.column("dedupe_key", sa.String),
    sa.column("round", sa.Integer),
    sa.column("step_index", sa.Integer),
)


def upgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("round", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("step_index", sa.Integer(), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _fill_in_sql()
    else:
        _fill_row_by_row(bind)


def _fill_in_sql() -> None:
    """PostgreSQL: one UPDATE, the key's numbers taken by its regular expressions."""
    key = _messages.c.dedupe_key
    op.execute(
        _messages.update()
        .where(key.regexp_match(ALERT_KEY.pattern))
        .values(
            round=sa.cast(sa.func.substring(key, r"^alert:\d+:r(\d+):"), sa.Integer),
            step_index=sa.cast(sa.func.substring(key, r"^alert:\d+:r\d+:s(\d+):"), sa.Integer),
        )
    )


def _fill_row_by_row(bind: sa.Connection) -> None:
    """SQLite (no regular expressions in SQL): the keys read, matched here, written back."""
    rows = bind.execute(
        sa.select(_messages.c.id, _messages.c.dedupe_key).where(
            _messages.c.dedupe_key.like("alert:%")
        )
    ).all()
    steps = [
        {"row": row_id, "r": int(match[1]), "s": int(match[2])}
        for row_id, key in rows
        if (match := ALERT_KEY.match(key))
    ]
    if steps:
        bind.execute(
            _messages.update()
            .where(_messages.c.id == sa.bindparam("row"))
            .values(round=sa.bindparam("r"), step_index=sa.bindparam("s")),
            steps,
        )


def downgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_column("step_index")
        batch_op.drop_column("round")
