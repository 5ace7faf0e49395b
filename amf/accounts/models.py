"""Organiser accounts and their roles."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from amf.db import UTCDateTime, str_enum, utcnow
from amf.extensions import db


class Role(enum.StrEnum):
    """What an account may do: admin > organiser > checkin."""

    ADMIN = "admin"
    ORGANISER = "organiser"
    CHECKIN = "checkin"

    @property
    def label(self) -> str:
        """Human-readable role name."""
        return {
            "admin": "Administrator",
            "organiser": "Organiser",
            "checkin": "Check-in staff",
        }[self.value]


class User(UserMixin, db.Model):
    """A person who signs in to the back office."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"))
    is_enabled: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Part of the session identifier: changing it (password change, disabling) signs out
    # every session of the account.
    session_nonce: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:
        """Flask-Login refuses disabled accounts."""
        return self.is_enabled

    def get_id(self) -> str:
        """The session identifier: id and nonce, so old sessions end with a nonce change."""
        return f"{self.id}:{self.session_nonce}"

    def has_role(self, *roles: Role) -> bool:
        """Whether the account holds one of the roles; admins hold them all."""
        return self.role == Role.ADMIN or self.role in roles

    @property
    def label(self) -> str:
        """Name, or email when no name is set."""
        return self.name or self.email

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
