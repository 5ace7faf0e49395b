"""The one mechanism for work around a transaction (amf/db.py), and that nothing else listens."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import sqlalchemy as sa
from builders import make_event

from amf.db import after_commit, after_commit_of, before_commit
from amf.events.models import Event, Room
from amf.extensions import db


def test_after_commit_work_runs_once_after_the_commit_and_never_after_a_rollback(app):
    ran: list[str] = []
    with app.app_context():
        session = db.session()
        after_commit(session, "note", lambda s: ran.append("first ask"))
        after_commit(session, "note", lambda s: ran.append("second ask"))  # same key: once
        before_commit(session, "inside", lambda s: ran.append(f"before, open={s.in_transaction()}"))
        assert ran == []
        make_event()
        db.session.commit()
        assert ran == ["before, open=True", "second ask"]
        make_event(slug="second")  # a transaction that will not commit
        after_commit(session, "note", lambda s: ran.append("rolled back"))
        db.session.rollback()
        db.session.commit()
        assert ran == ["before, open=True", "second ask"]


def test_failing_after_commit_work_does_not_make_the_commit_look_failed(app, caplog):
    with app.app_context():

        def broken(session):
            raise RuntimeError("cache server gone")

        after_commit(db.session(), "broken", broken)
        make_event()
        db.session.commit()  # does not raise
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1
    assert "cache server gone" in caplog.text


def test_after_commit_of_follows_only_commits_that_wrote_those_models(app):
    seen: list[int] = []
    after_commit_of((Room,), "test.rooms", lambda s: seen.append(1))
    try:
        with app.app_context():
            event = make_event()
            db.session.commit()
            assert seen == []
            db.session.add(Room(event=event, name="Hall A"))
            db.session.commit()
            assert seen == [1]
            db.session.commit()  # nothing written: nothing to do
            assert seen == [1]
    finally:
        from amf import db as db_module

        db_module._WATCHERS.pop("test.rooms")


AMF = Path(__file__).resolve().parents[1] / "amf"


@pytest.mark.parametrize("path", sorted(AMF.rglob("*.py")), ids=lambda p: str(p.relative_to(AMF)))
def test_no_feature_listens_on_the_global_session(path):
    """Only amf/db.py attaches listeners to SQLAlchemy's Session class."""
    if path == AMF / "db.py":
        return
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in {
            "listen",
            "listens_for",
        }:
            target = node.args[0] if node.args else None
            assert not (isinstance(target, ast.Name) and target.id == "Session"), (
                f"{path}:{node.lineno} listens on Session; use amf.db's helpers"
            )
