"""Notification runs: one change's emails to many delegates, queued in batches by the worker."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amf.db import UTCDateTime, str_enum, utcnow
from amf.events.models import AgendaSession, Event
from amf.extensions import db


class NoticeKind(enum.StrEnum):
    """What the delegates are told."""

    SESSION_CHANGED = "session_changed"
    SESSION_CANCELLED = "session_cancelled"
    EVENT_CANCELLED = "event_cancelled"


class NotificationRun(db.Model):
    """A pending fan-out: who still has to get this notice is everyone after the cursor."""

    __tablename__ = "notification_run"
    __table_args__ = (
        sa.CheckConstraint("queued >= 0", name="queued_not_negative"),
        sa.Index("ix_notification_run_pending", "finished_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[NoticeKind] = mapped_column(str_enum(NoticeKind, "notice_kind"))
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agenda_session.id", ondelete="CASCADE")
    )
    # Registrations are notified in id order; this is the last one done.
    cursor: Mapped[int] = mapped_column(default=0)
    queued: Mapped[int] = mapped_column(default=0)
    # What changed, as {"field": [before, after]} in display form (times as ISO instants),
    # so emails written later by the worker still say what the session was before.
    changes: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()
    agenda_session: Mapped[AgendaSession | None] = relationship()
