"""The audit log: who changed what, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from amf.db import UTCDateTime, utcnow
from amf.extensions import db


class AuditEntry(db.Model):
    """One change made in the back office or on the command line."""

    __tablename__ = "audit_entry"
    __table_args__ = (sa.Index("ix_audit_entry_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    # Kept as text so the entry still says who it was after the account is gone.
    actor: Mapped[str] = mapped_column(sa.String(254))
    action: Mapped[str] = mapped_column(sa.String(60))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    # {"field": [old, new]} for edits.
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
