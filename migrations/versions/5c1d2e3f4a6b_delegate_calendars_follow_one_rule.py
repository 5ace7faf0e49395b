"""Delegate calendars follow one rule: released sign-ups, per-delegate SEQUENCE, notice changes

Revision ID: 5c1d2e3f4a6b
Revises: 2e8c0f1d0ea5
Create Date: 2026-12-08 01:00:00.000000

A given-up seat stays as a 'released' sign-up (its cancellation must reach the delegate's
calendar, and a later invitation must outrank it), with the per-delegate SEQUENCE offset;
a registration remembers when it first held a seat; a notification run keeps what changed.
"""
from alembic import op
import sqlalchemy as sa


revision = '5c1d2e3f4a6b'
down_revision = '2e8c0f1d0ea5'
branch_labels = None
depends_on = None

OLD_SIGNUP = ('requested', 'confirmed', 'waitlisted')
NEW_SIGNUP = ('requested', 'confirmed', 'waitlisted', 'released')


def _signup_status(values):
    return sa.Enum(*values, name='signup_status', native_enum=False, create_constraint=True, length=32)


def upgrade():
    with op.batch_alter_table('session_signup', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequence_offset', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_constraint('signup_status', type_='check')
        batch_op.create_check_constraint('signup_status', sa.column('status').in_(NEW_SIGNUP))

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))

    # Registrations holding a seat now held it since their last status change.
    op.execute(
        "UPDATE registration SET confirmed_at = status_changed_at WHERE status = 'confirmed'"
    )

    with op.batch_alter_table('notification_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changes', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('notification_run', schema=None) as batch_op:
        batch_op.drop_column('changes')

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_column('confirmed_at')

    op.execute("DELETE FROM session_signup WHERE status = 'released'")
    with op.batch_alter_table('session_signup', schema=None) as batch_op:
        batch_op.drop_constraint('signup_status', type_='check')
        batch_op.create_check_constraint('signup_status', sa.column('status').in_(OLD_SIGNUP))
        batch_op.drop_column('sequence_offset')
