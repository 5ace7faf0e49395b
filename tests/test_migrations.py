"""The migrations build the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import close_database, make_app, temporary_postgres_database

from amf.extensions import db


def _upgrade_check_downgrade(url: str, tmp_path) -> None:
    app = make_app(url, tmp_path)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"event", "agenda_session", "pilot_city", "officer", "alembic_version"} <= tables
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
    close_database(app)


def test_migrations_on_empty_sqlite(tmp_path):
    _upgrade_check_downgrade(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path)


@pytest.mark.postgres
def test_migrations_on_empty_postgresql(postgres_admin_url, tmp_path):
    with temporary_postgres_database(postgres_admin_url) as url:
        _upgrade_check_downgrade(url, tmp_path)


def test_check_reports_drift_when_models_and_migrations_differ(tmp_path):
    """`flask db check` is a real check: a table missing from the database is reported."""
    url = f"sqlite:///{tmp_path / 'drift.sqlite3'}"
    app = make_app(url, tmp_path)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        db.session.execute(sa.text("DROP TABLE session_speaker"))
        db.session.commit()
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code != 0
    close_database(app)
