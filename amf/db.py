"""Declarative base, column types, and the one mechanism for work around a transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Session

logger = logging.getLogger(__name__)

# Stable constraint names, so migrations can find the constraints they change.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """An instant stored in UTC and always read back as an aware UTC datetime.

    PostgreSQL keeps it as timestamptz; SQLite as naive UTC text, whose fixed
    format also makes CHECK comparisons between instants correct.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Normalise to UTC; refuse naive values, which would be ambiguous."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Attach UTC to what SQLite returns naive."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def str_enum(enum_cls: type, name: str) -> sa.Enum:
    """A portable enum column: VARCHAR with a named CHECK, storing the member's value."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


@sa.event.listens_for(sa.engine.Engine, "connect")
def _enforce_sqlite_foreign_keys(dbapi_connection, connection_record) -> None:
    """SQLite ignores foreign keys unless asked, per connection."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def render_migration_item(type_: str, obj, autogen_context):
    """Render our column types as plain SQLAlchemy types, so migrations never import the app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# ---------------------------------------------------------------- around a transaction
# Features never listen on SQLAlchemy's global Session themselves: they ask for work here.
#   before_commit / after_commit(session, key, work): once, with this transaction (keyed, so
#     asking twice runs it once); a rollback forgets it.
#   after_commit_of(types, key, work): set up once, for every commit that wrote a model of
#     these types (e.g. drop a per-worker cache).
#   before_flush(key, work): set up once, for every flush (e.g. count revisions).

Work = Callable[[Session], None]
_BEFORE_COMMIT = "amf_before_commit"
_AFTER_COMMIT = "amf_after_commit"
_WATCHERS: dict[str, tuple[tuple[type, ...], Work]] = {}
_FLUSH_HOOKS: dict[str, Callable[[Session], None]] = {}


def before_commit(session: Session, key: str, work: Work) -> None:
    """Run ``work(session)`` inside this transaction, just before it commits."""
    session.info.setdefault(_BEFORE_COMMIT, {})[key] = work


def after_commit(session: Session, key: str, work: Work) -> None:
    """Run ``work(session)`` once this transaction has committed (never if it rolls back)."""
    session.info.setdefault(_AFTER_COMMIT, {})[key] = work


def after_commit_of(types: tuple[type, ...], key: str, work: Work) -> None:
    """Set up, once per process, work after every commit that wrote one of these models."""
    _WATCHERS[key] = (types, work)


def before_flush(key: str, hook: Callable[[Session], None]) -> None:
    """Set up, once per process, a hook that sees every flush's pending changes."""
    _FLUSH_HOOKS[key] = hook


def _run_flush_hooks(session: Session, flush_context, instances) -> None:
    for hook in _FLUSH_HOOKS.values():
        hook(session)


def _note_watched_writes(session: Session, flush_context) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    for key, (types, work) in _WATCHERS.items():
        if any(isinstance(obj, types) for obj in changed):
            after_commit(session, key, work)


def _run_before_commit(session: Session) -> None:
    for work in session.info.pop(_BEFORE_COMMIT, {}).values():
        work(session)


def _run_after_commit(session: Session) -> None:
    """Run what the transaction asked for; never raises (the commit already happened)."""
    for key, work in session.info.pop(_AFTER_COMMIT, {}).items():
        try:
            work(session)
        except Exception:
            logger.exception("After-commit work %r failed", key)


def _forget(session: Session, previous_transaction) -> None:
    """A rollback of the whole transaction (not of a savepoint) drops what it asked for."""
    if not previous_transaction.nested:
        session.info.pop(_BEFORE_COMMIT, None)
        session.info.pop(_AFTER_COMMIT, None)


_LISTENERS = (
    ("before_flush", _run_flush_hooks),
    ("after_flush", _note_watched_writes),
    ("before_commit", _run_before_commit),
    ("after_commit", _run_after_commit),
    ("after_soft_rollback", _forget),  # every rollback(), even with nothing begun
)


def install_transaction_hooks() -> None:
    """Listen on every session, once per process: the only listeners on Session."""
    for name, listener in _LISTENERS:
        if not sa.event.contains(Session, name, listener):
            sa.event.listen(Session, name, listener)
