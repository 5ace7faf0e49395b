"""Check-in passes: a confirmed delegate's secret code and whether they have arrived."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amf.db import UTCDateTime, utcnow
from amf.extensions import db
from amf.registration.models import Registration


class CheckinPass(db.Model):
    """The check-in code of one registration (its hash) and the arrival it records."""

    __tablename__ = "checkin_pass"

    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    # The code is derived from this nonce and SECRET_KEY; the database keeps only its hash.
    nonce: Mapped[str] = mapped_column(sa.String(32))
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by: Mapped[str | None] = mapped_column(sa.String(254))

    registration: Mapped[Registration] = relationship()
