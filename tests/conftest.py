"""Shared fixtures: an app per test on a migrated database, cleaned between tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import icalendar
import pytest
import sqlalchemy as sa
from flask import Flask, current_app
from flask_migrate import upgrade

from amf import create_app
from amf.extensions import db

pytest_plugins = ["smtp_server"]

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
INSTANCE = Path(__file__).resolve().parents[1] / "instance"


def _instance_files() -> dict[Path, tuple[int, int]]:
    """Every file under the checkout's instance/ folder, with its size and modification time."""
    if not INSTANCE.is_dir():
        return {}
    return {
        path: (stat.st_size, stat.st_mtime_ns)
        for path in INSTANCE.rglob("*")
        if path.is_file() and (stat := path.stat())
    }


@pytest.fixture(autouse=True)
def _nothing_written_into_instance() -> Iterator[None]:
    """instance/ holds the developer's own database and mail: a test that writes there fails."""
    before = _instance_files()
    yield
    after = _instance_files()
    written = sorted(str(path) for path, seen in after.items() if before.get(path) != seen)
    if written:
        pytest.fail(f"the test wrote into {INSTANCE} (use tmp_path): {written[:5]}")


def _postgres_admin_url() -> str:
    url = os.environ.get("AMF_TEST_DATABASE_URL", "")
    if url.startswith("postgres"):
        return url
    return os.environ.get("AMF_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _psycopg_url(url: str) -> sa.URL:
    parsed = sa.make_url(url)
    return parsed.set(drivername="postgresql+psycopg")


@contextmanager
def temporary_postgres_database(admin_url: str) -> Iterator[str]:
    """Create an empty PostgreSQL database for the duration of the block, then drop it."""
    admin = sa.create_engine(
        _psycopg_url(admin_url), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    name = f"amf_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield _psycopg_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_available() -> tuple[bool, str]:
    """Whether a PostgreSQL server answers at the test URL, and why not if it does not."""
    url = _postgres_admin_url()
    engine = sa.create_engine(_psycopg_url(url), connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True, ""
    except Exception as exc:  # any failure means "no usable server here"
        shown = sa.make_url(url).render_as_string(hide_password=True)
        return False, f"PostgreSQL not reachable at {shown}: {exc.__class__.__name__}"
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """URL of a PostgreSQL server the tests may create databases on; skips without one."""
    ok, reason = postgres_available()
    if not ok:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests: {reason}")
        pytest.skip(reason)
    return _postgres_admin_url()


def make_app(database_url: str, tmp_path: Path, **overrides) -> Flask:
    """A testing app on that database, mail written under tmp_path."""
    settings = {
        "AMF_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "AMF_MAIL_FILE_DIR": str(tmp_path / "mail"),
    }
    settings.update(overrides)
    return create_app(settings)


def close_database(app: Flask) -> None:
    """Give back the session's connection, then close the app's pool (no connection left open)."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@contextmanager
def opened_app(database_url: str, tmp_path: Path, **overrides) -> Iterator[Flask]:
    """make_app for the block; its connections are closed however the block ends."""
    app = make_app(database_url, tmp_path, **overrides)
    try:
        yield app
    finally:
        close_database(app)


def migrate_to_head(database_url: str, tmp_path: Path) -> None:
    """Run every migration on the database."""
    with opened_app(database_url, tmp_path) as app, app.app_context():
        upgrade()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """The suite's database, migrated once: PostgreSQL when AMF_TEST_DATABASE_URL names one."""
    tmp = tmp_path_factory.mktemp("db")
    if os.environ.get("AMF_TEST_DATABASE_URL", "").startswith("postgres"):
        with temporary_postgres_database(os.environ["AMF_TEST_DATABASE_URL"]) as url:
            migrate_to_head(url, tmp)
            yield url
    else:
        url = f"sqlite:///{tmp / 'amf-test.sqlite3'}"
        migrate_to_head(url, tmp)
        yield url


def _empty_all_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(database_url, tmp_path) -> Iterator[Flask]:
    """A fresh app per test; every table is emptied afterwards."""
    with opened_app(database_url, tmp_path) as app:
        yield app
        with app.app_context():
            db.session.rollback()
            _empty_all_tables()


@pytest.fixture
def client(app):
    """A test client with CSRF protection on, as in production."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for `flask amf ...` commands."""
    return app.test_cli_runner()


@pytest.fixture
def seeded(app):
    """The app with the pilot cities and officers loaded."""
    from amf.cities.services import seed_reference_data

    with app.app_context():
        seed_reference_data()
    return app


@pytest.fixture
def demo(seeded):
    """The app with reference data and the AMF 2022 demo event."""
    from amf.events.demo import load_amf2022

    with seeded.app_context():
        load_amf2022()
    return seeded


class QueryCounter:
    """Counts the SQL statements the app's engine runs inside a block."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def _record(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(statement)


@contextmanager
def count_queries(app: Flask) -> Iterator[QueryCounter]:
    """Record every statement the app's engine executes in the block."""
    counter = QueryCounter()
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", counter._record)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", counter._record)


def flask_requests(app: Flask, with_query: bool = False) -> list[str]:
    """The paths (optionally with their query strings) of requests that reach Flask's handling."""
    seen: list[str] = []

    @app.before_request
    def note() -> None:  # registered on this test's app only
        from flask import request

        seen.append(request.full_path.rstrip("?") if with_query else request.path)

    return seen


def delivered(message, app: Flask | None = None) -> EmailMessage:
    """A sent outbox message as the file transport wrote it (the outbox forgets sent bodies)."""
    directory = Path((app or current_app).config["AMF_MAIL_FILE_DIR"])
    for path in sorted(directory.glob("*.eml")):
        email = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        if email["Message-ID"] == message.message_id:
            return email
    raise AssertionError(f"{message.message_id} was not delivered to {directory}")


def text_of(email: EmailMessage) -> str:
    """The plain-text body."""
    return email.get_body(preferencelist=("plain",)).get_content()


def invitations_in(email: EmailMessage) -> list[tuple[str, icalendar.Calendar]]:
    """(method, calendar) of each .ics the message carries as an attachment."""
    return [
        (part.get_param("method"), icalendar.Calendar.from_ical(part.get_payload(decode=True)))
        for part in email.walk()
        if part.get_content_type() == "text/calendar"
        and part.get_content_disposition() == "attachment"
    ]
