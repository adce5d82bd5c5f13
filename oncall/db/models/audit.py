"""The response log: append-only, hash-chained events, and the head of the chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from oncall.db.models.base import Base
from oncall.db.models.enums import ActorType, one_of


class Event(Base):
    """One step of the response log. Never updated or deleted (a trigger refuses it on PostgreSQL).

    `hash` is SHA-256 over a canonical encoding of the event (with `details` by its digest) and
    `prev_hash`, so a redaction that blanks `details` keeps the chain verifiable.
    """

    __tablename__ = "events"
    __table_args__ = (
        one_of("actor_type", ActorType),
        Index("ix_events_contact_seq", "contact_id", "seq"),
        Index("ix_events_occurred_at", "occurred_at"),
        Index("ix_events_kind_seq", "kind", "seq"),  # latest verification, handovers by day
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime]
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    kind: Mapped[str] = mapped_column(String(40))
    actor_type: Mapped[str] = mapped_column(String(8))
    actor: Mapped[str] = mapped_column(String(80), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    details_digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class ChainHead(Base):
    """The last sequence number and hash (one row): appenders lock it so the chain stays linear."""

    __tablename__ = "event_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))
