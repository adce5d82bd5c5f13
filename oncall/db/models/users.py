"""Users who sign in, their roles, and API tokens for automation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oncall.db.models.base import Base, EnumText
from oncall.db.models.enums import Role, one_of


class User(Base):
    """A person who signs in to the web app or the API; a worker is linked to their rota person."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(r.role for r in self.roles)


class UserRole(Base):
    """One role held by a user."""

    __tablename__ = "user_roles"
    __table_args__ = (one_of("role", Role),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(EnumText(Role, 16), primary_key=True)

    user: Mapped[User] = relationship(back_populates="roles")


class ApiToken(Base):
    """A bearer token for automation. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class UserSession(Base):
    """A signed-in browser. The cookie carries a random id; only its SHA-256 is stored here, and
    a cookie whose row is gone (signed out, password changed, user disabled) no longer works."""

    __tablename__ = "user_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # A one-time message for the next page this browser shows ("Line saved."), then cleared.
    notice: Mapped[str | None] = mapped_column(String(300))


class SignInThrottle(Base):
    """Sign-in attempts counted under one key (a client address, an account, a device) in the
    current window; shared by every replica, and taken atomically before a password is checked."""

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(index=True)
    attempts: Mapped[int]
    last_at: Mapped[datetime]
