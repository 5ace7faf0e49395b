"""The migrations build the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from conftest import opened_app, temporary_postgres_database

from amf.extensions import db
from amf.registration.states import ACTIVE_STATUSES


def _upgrade_check_downgrade(url: str, tmp_path) -> None:
    with opened_app(url, tmp_path) as app:
        _upgrade_check_downgrade_app(app)


def _upgrade_check_downgrade_app(app) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"event", "agenda_session", "pilot_city", "officer", "alembic_version"} <= tables
        _assert_foreign_key_indexes()
        _assert_active_email_index()
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}


FILTERED_FOREIGN_KEYS = {
    "speaker": "event_id",
    "session_speaker": "speaker_id",
    "agenda_session": ("room_id", "track_id"),
    "notification_run": "event_id",
}


def _assert_foreign_key_indexes() -> None:
    """Each foreign key the queries filter by leads an index."""
    inspector = sa.inspect(db.engine)
    for table, columns in FILTERED_FOREIGN_KEYS.items():
        leading = {index["column_names"][0] for index in inspector.get_indexes(table)}
        for column in (columns,) if isinstance(columns, str) else columns:
            assert column in leading, (table, column)


def _index_sql(name: str) -> str:
    if db.engine.dialect.name == "sqlite":
        query = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
    else:
        query = "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
    return db.session.scalar(sa.text(query), {"name": name})


def _assert_active_email_index() -> None:
    """Unique on (event_id, lower(email)) where the status is one of ACTIVE_STATUSES.

    `flask db check` cannot see this: SQLite does not reflect expression indexes, and
    neither dialect's comparison looks at an index's WHERE clause.
    """
    sql = _index_sql("uq_registration_active_email")
    assert sql is not None, "uq_registration_active_email is missing"
    columns, _, predicate = sql.partition(" WHERE ")
    assert sql.startswith("CREATE UNIQUE INDEX"), sql
    assert re.search(r"\(event_id, lower\(\(?email\)?(::text)?\)\)", columns), sql
    assert set(re.findall(r"'(\w+)'", predicate)) == set(ACTIVE_STATUSES), sql
    db.session.remove()


def test_migrations_on_empty_sqlite(tmp_path):
    _upgrade_check_downgrade(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path)


@pytest.mark.postgres
def test_migrations_on_empty_postgresql(postgres_admin_url, tmp_path):
    with temporary_postgres_database(postgres_admin_url) as url:
        _upgrade_check_downgrade(url, tmp_path)


def test_check_reports_drift_when_models_and_migrations_differ(tmp_path):
    """`flask db check` is a real check: a table missing from the database is reported."""
    url = f"sqlite:///{tmp_path / 'drift.sqlite3'}"
    with opened_app(url, tmp_path) as app:
        runner = app.test_cli_runner()
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        with app.app_context():
            db.session.execute(sa.text("DROP TABLE session_speaker"))
            db.session.commit()
        result = runner.invoke(args=["db", "check"])
        assert result.exit_code != 0


def test_existing_registrations_survive_and_get_a_calendar_token_on_sqlite(tmp_path):
    """SQLite rebuilds tables to alter them: the rows pointing at them must survive."""
    _upgrade_with_a_registration(f"sqlite:///{tmp_path / 'data.sqlite3'}", tmp_path)


@pytest.mark.postgres
def test_existing_registrations_get_a_calendar_token_on_postgresql(postgres_admin_url, tmp_path):
    with temporary_postgres_database(postgres_admin_url) as url:
        _upgrade_with_a_registration(url, tmp_path)


def _upgrade_with_a_registration(url: str, tmp_path) -> None:
    """The migration that adds personal feeds gives rows already there a token the app accepts."""
    with opened_app(url, tmp_path) as app:
        _upgrade_app_with_a_registration(app, url)


def _upgrade_app_with_a_registration(app, url: str) -> None:
    from datetime import UTC, datetime

    from amf.registration.models import Registration
    from amf.registration.services import calendar_token, get_by_calendar_token

    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "7efa6805df70"]).exit_code == 0
    now = datetime(2030, 1, 1, tzinfo=UTC)
    if url.startswith("sqlite"):
        now = now.replace(tzinfo=None)
    with app.app_context():
        db.session.execute(
            sa.text(
                "INSERT INTO event (slug, title, description, first_day, last_day, timezone,"
                " venue_name, venue_address, host_city_name, host_country, organiser, status,"
                " is_demo, requires_approval, window_starts_at, window_ends_at, created_at,"
                " updated_at) VALUES ('e', 'E', '', '2030-01-02', '2030-01-02', 'Asia/Jakarta',"
                " 'V', '', '', '', 'O', 'published', :no, :no, :now, :later, :now, :now)"
            ),
            {"now": now, "later": now.replace(day=3), "no": False},
        )
        db.session.execute(
            sa.text(
                "INSERT INTO registration (event_id, reference, status, honorific, given_names,"
                " family_name, email, phone, position, organisation, category, other_organisation,"
                " other_country, dietary_needs, accessibility_needs, consented_privacy_at,"
                " listed_publicly, manage_nonce, manage_token_hash, created_at, updated_at,"
                " verify_by, status_changed_at) VALUES (1, 'REF00001', 'confirmed', '', 'A', '',"
                " 'a@example.org', '', '', '', 'observer', 'Org', '', '', '', :now, :no, 'n', 'h',"
                " :now, :now, :now, :now)"
            ),
            {"now": now, "no": False},
        )
        db.session.commit()
        assert db.session.scalar(sa.text("SELECT count(*) FROM registration")) == 1
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT count(*) FROM registration")) == 1
        registration = db.session.scalars(sa.select(Registration)).one()
        assert len(registration.calendar_nonce) == 32
        assert get_by_calendar_token(calendar_token(registration)).id == registration.id
