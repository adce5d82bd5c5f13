"""Episodes of a child missing from home or care, keyed by a case reference, and their contacts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from oncall.db.models.base import Base, EnumText
from oncall.db.models.enums import one_of


class Risk(StrEnum):
    """The police's grading of the risk to the child while missing."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class MissingFrom(StrEnum):
    HOME = "home"
    FOSTER_PLACEMENT = "foster_placement"
    RESIDENTIAL_HOME = "residential_home"


class EpisodeStatus(StrEnum):
    OPEN = "open"  # still missing
    RETURNED = "returned"  # returned or found
    WITHDRAWN = "withdrawn"  # recorded in error: kept, but out of every list and figure


class ReturnPlace(StrEnum):
    """Where the child returned or was found, as a kind of place: never an address."""

    HOME = "home"
    PLACEMENT = "placement"
    POLICE = "police"
    HOSPITAL = "hospital"
    OTHER = "other"


class InterviewResult(StrEnum):
    COMPLETED = "completed"
    DECLINED = "declined"


class MissingEpisode(Base):
    """One child missing from home or care, from the report to the return and the interview.

    Keyed by a case reference only (never a name or an address). Times are UTC. The return home
    interview is due `interview_due_at` (the return plus ONCALL_RETURN_INTERVIEW_HOURS, fixed
    when the return is recorded) and is a day-team task until `interview_offered_at` is set.
    At most one open episode per case reference (a partial unique index).
    """

    __tablename__ = "missing_episodes"
    __table_args__ = (
        one_of("risk", Risk),
        one_of("missing_from", MissingFrom),
        one_of("status", EpisodeStatus),
        one_of("return_place", ReturnPlace),
        one_of("interview_result", InterviewResult),
        Index("ix_missing_episodes_case_reported", "case_reference", "reported_at"),
        Index("ix_missing_episodes_reported_at", "reported_at"),
        Index("ix_missing_episodes_returned_at", "returned_at"),
        Index("ix_missing_episodes_status_due", "status", "interview_due_at"),
        Index(
            "uq_missing_episodes_open_case",
            "case_reference",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_reference: Mapped[str] = mapped_column(String(40))
    risk: Mapped[Risk] = mapped_column(EnumText(Risk, 8))
    missing_from: Mapped[MissingFrom | None] = mapped_column(
        EnumText(MissingFrom, 20)
    )  # None: not yet recorded
    status: Mapped[EpisodeStatus] = mapped_column(
        EnumText(EpisodeStatus, 10), default=EpisodeStatus.OPEN
    )
    reported_at: Mapped[datetime]  # reported missing (by default the first contact's receipt)
    opened_at: Mapped[datetime]  # recorded here
    opened_by: Mapped[str] = mapped_column(String(80))  # a person's code or a user name
    opened_via: Mapped[str] = mapped_column(String(8))  # sms, link, web
    returned_at: Mapped[datetime | None]
    return_place: Mapped[ReturnPlace | None] = mapped_column(EnumText(ReturnPlace, 12))
    returned_recorded_by: Mapped[str] = mapped_column(String(80), default="")
    notes: Mapped[str] = mapped_column(Text, default="")  # never in a text or a log line
    interview_due_at: Mapped[datetime | None]
    interview_offered_at: Mapped[datetime | None]
    interview_result: Mapped[InterviewResult | None] = mapped_column(EnumText(InterviewResult, 10))
    interview_result_at: Mapped[datetime | None]
    interview_recorded_by: Mapped[str] = mapped_column(String(80), default="")
    updated_at: Mapped[datetime]


class EpisodeContact(Base):
    """A contact about an episode: the report that opened it, and later nights' calls."""

    __tablename__ = "missing_episode_contacts"
    __table_args__ = (
        Index("uq_missing_episode_contacts_pair", "episode_id", "contact_id", unique=True),
        Index("ix_missing_episode_contacts_contact", "contact_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("missing_episodes.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    added_at: Mapped[datetime]
