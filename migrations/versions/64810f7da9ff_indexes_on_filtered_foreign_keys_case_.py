"""Indexes on filtered foreign keys; case-insensitive active email index

The agenda, speaker and notice queries filter on speaker.event_id, session_speaker.speaker_id,
agenda_session.room_id and track_id, and notification_run.event_id, which had no index.
The unique index on a registration's active address moves from the raw column to
lower(email), the expression the lookups compare, so it is also case-insensitive.

Revision ID: 64810f7da9ff
Revises: 5c1d2e3f4a6b
Create Date: 2026-12-08 00:25:28.558937

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '64810f7da9ff'
down_revision = '5c1d2e3f4a6b'
branch_labels = None
depends_on = None

# The active statuses as of this revision (amf.registration.states.ACTIVE_STATUSES then);
# a migration keeps its own copy so that later changes to the model do not rewrite history.
ACTIVE = "status IN ('pending_verification', 'confirmed', 'waitlisted', 'awaiting_approval')"

FOREIGN_KEY_INDEXES = [
    ('ix_speaker_event_id', 'speaker', 'event_id'),
    ('ix_session_speaker_speaker_id', 'session_speaker', 'speaker_id'),
    ('ix_agenda_session_room_id', 'agenda_session', 'room_id'),
    ('ix_agenda_session_track_id', 'agenda_session', 'track_id'),
    ('ix_notification_run_event_id', 'notification_run', 'event_id'),
]


def upgrade():
    for name, table, column in FOREIGN_KEY_INDEXES:
        op.create_index(name, table, [column], unique=False)

    clashes = op.get_bind().execute(sa.text(
        f"SELECT event_id, lower(email) FROM registration WHERE {ACTIVE}"
        " GROUP BY event_id, lower(email) HAVING count(*) > 1"
    )).all()
    if clashes:
        raise RuntimeError(
            "Cannot make the active email index case-insensitive: these (event id, address)"
            f" pairs have more than one active registration differing only in case: {clashes}."
            " Cancel the extra registrations, then upgrade again."
        )
    op.drop_index('uq_registration_active_email', table_name='registration')
    op.create_index(
        'uq_registration_active_email', 'registration', ['event_id', sa.text('lower(email)')],
        unique=True, sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE),
    )


def downgrade():
    op.drop_index('uq_registration_active_email', table_name='registration')
    op.create_index(
        'uq_registration_active_email', 'registration', ['event_id', 'email'],
        unique=True, sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE),
    )
    for name, table, _column in reversed(FOREIGN_KEY_INDEXES):
        op.drop_index(name, table_name=table)
