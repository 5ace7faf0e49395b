"""The cities and officers the registration forms offer, kept per worker (amf.cities.choices)."""

from __future__ import annotations

import sqlalchemy as sa
from builders import make_event, open_registration
from conftest import count_queries

from amf.cities import choices
from amf.cities.models import Officer
from amf.extensions import db


def test_the_choices_are_the_seeded_cities_and_officers(app, seeded):
    with app.app_context():
        states = choices.delegation_choices()
        officers = db.session.scalars(sa.select(Officer)).all()
    assert len(states) == 10
    assert sum(len(state.cities) for state in states) == 26
    offered = {o.id: o for s in states for c in s.cities for o in c.officers}
    assert set(offered) == {o.id for o in officers}
    for officer in officers:
        assert offered[officer.id].name == officer.name
        assert list(offered[officer.id].designation_lines) == officer.designation_lines


def test_the_form_reads_them_once_per_worker(app, client, seeded):
    with app.app_context():
        open_registration(make_event(slug="choices"))
        db.session.commit()
    client.get("/events/choices/register")
    with count_queries(app) as first:
        page = client.get("/events/choices/register").get_data(as_text=True)
    assert "Surabaya" in page and "Chief Smart City Officer" in page
    assert not any("FROM officer" in statement for statement in first.statements)


def test_a_change_committed_here_shows_at_once(app, client, seeded):
    with app.app_context():
        open_registration(make_event(slug="choices"))
        db.session.commit()
    client.get("/events/choices/register")
    with app.app_context():
        officer = db.session.scalars(sa.select(Officer).order_by(Officer.id)).first()
        officer.designation = "Acting Chief Smart City Officer of the test"
        db.session.commit()
    page = client.get("/events/choices/register").get_data(as_text=True)
    assert "Acting Chief Smart City Officer of the test" in page


def test_another_processs_change_shows_after_the_ttl(app, seeded, monkeypatch):
    clock = [500.0]
    monkeypatch.setattr(choices.time, "monotonic", lambda: clock[0])
    with app.app_context():
        before = choices.delegation_choices()
        # Another process (a seed run) changes a row: no commit in this worker's sessions.
        with db.engine.begin() as conn:
            conn.execute(sa.update(Officer).values(name=Officer.name + " (updated)"))
        assert choices.delegation_choices() is before
        clock[0] += choices.REFERENCE_TTL_SECONDS + 1
        after = choices.delegation_choices()
    names = [o.name for s in after for c in s.cities for o in c.officers]
    assert names and all(name.endswith(" (updated)") for name in names)
