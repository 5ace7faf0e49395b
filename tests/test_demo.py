"""The demo event and the synthetic agendas."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from amf.events.models import AgendaSession, Event, SessionKind
from amf.extensions import db


def _event(slug="amf-2022") -> Event:
    return db.session.scalars(sa.select(Event).where(Event.slug == slug)).one()


def test_demo_loads_amf_2022_as_announced(demo):
    with demo.app_context():
        event = _event()
        assert event.title == "ASEAN Mayors Forum 2022"
        assert (event.first_day, event.last_day) == (date(2022, 10, 6), date(2022, 10, 7))
        assert event.timezone == "Asia/Jakarta"
        assert event.host_city_name == "Surabaya" and "East Java" in event.venue_address
        assert event.theme == (
            "Achieving Smart, Resilience and Sustainable Urbanisation through ASEAN "
            "Cooperation in the New Normal"
        )
        assert "UCLG ASPAC" in event.organiser
        assert event.is_demo


def test_demo_agenda_is_a_realistic_two_day_programme(demo):
    with demo.app_context():
        event = _event()
        sessions = event.sessions
        kinds = {s.kind for s in sessions}
        assert {
            SessionKind.CEREMONY,
            SessionKind.PLENARY,
            SessionKind.BREAK,
            SessionKind.SITE_VISIT,
        } <= kinds
        assert len(event.rooms) >= 3 and len(event.tracks) >= 2
        local_days = {s.starts_at.astimezone(ZoneInfo("Asia/Jakarta")).date() for s in sessions}
        assert local_days == {date(2022, 10, 6), date(2022, 10, 7)}
        opening = next(s for s in sessions if s.title == "Opening ceremony")
        assert opening.starts_at == datetime(2022, 10, 6, 9, tzinfo=ZoneInfo("Asia/Jakarta"))
        parallel = [
            s
            for s in sessions
            if s.starts_at == datetime(2022, 10, 6, 13, 30, tzinfo=ZoneInfo("Asia/Jakarta"))
        ]
        assert len({s.room_id for s in parallel}) == 3
        officer_speakers = [sp for sp in event.speakers if sp.officer is not None]
        assert len(officer_speakers) >= 20
        assert all(sp.name == sp.officer.name for sp in officer_speakers)


def test_demo_is_idempotent_and_removable(demo, runner):
    result = runner.invoke(args=["amf", "demo"])
    assert "Already present: ASEAN Mayors Forum 2022" in result.output
    assert "Loaded AMF practice forum (demo)" in result.output
    again = runner.invoke(args=["amf", "demo"])
    assert again.output.count("Already present") == 2
    with demo.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 2
    result = runner.invoke(args=["amf", "demo", "--remove"])
    assert result.exit_code == 0 and "Removed 2" in result.output
    with demo.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AgendaSession)) == 0


def test_synthetic_agendas_have_the_requested_size(seeded, runner):
    result = runner.invoke(args=["amf", "demo", "--sessions", "120", "--events", "2"])
    assert result.exit_code == 0, result.output
    with seeded.app_context():
        counts = db.session.execute(
            sa.select(AgendaSession.event_id, sa.func.count()).group_by(AgendaSession.event_id)
        ).all()
        assert sorted(c for _, c in counts) == [120, 120]
        assert all(e.is_demo for e in db.session.scalars(sa.select(Event)))


def test_practice_event_is_upcoming_with_registration_open(seeded):
    from amf.events.demo import load_practice_event
    from amf.events.services import registration_state

    with seeded.app_context():
        today = date(2026, 11, 21)
        event, created = load_practice_event(today=today)
        assert created and event.is_demo and "demo" in event.title.lower()
        assert event.first_day == date(2027, 1, 20)
        assert registration_state(event, datetime(2026, 11, 22, tzinfo=ZoneInfo("UTC"))) == "open"
        signups = [s for s in event.sessions if s.takes_signups]
        assert len(signups) == 4 and {s.capacity for s in signups} == {3, 20}
        assert len(event.sessions) == 23
