"""Organisers build the agenda: sessions, conflicts, CSV in and out; delegates told of changes."""

from __future__ import annotations

import csv
import io
import re

import icalendar
import sqlalchemy as sa
from builders import make_event, make_session, signed_up_delegates
from conftest import count_queries, delivered, invitations_in
from organiser_support import csrf_from, signed_in

from amf.accounts.models import Role
from amf.events.models import AgendaSession, Room, SessionStatus, Speaker
from amf.extensions import db
from amf.mail.models import OutboxMessage
from amf.notices.models import NotificationRun
from amf.notices.services import process_pending_runs


def _event_with_rooms(app):
    with app.app_context():
        event = make_event()
        hall = Room(event=event, name="Hall A", capacity=100)
        small = Room(event=event, name="Room B", capacity=20)
        speaker = Speaker(event=event, name="Dr Siti Rahma")
        db.session.add_all([hall, small, speaker])
        db.session.commit()
        return event.id, hall.id, small.id, speaker.id


def _session_form(token, **fields):
    data = {
        "title": "Opening plenary",
        "kind": "plenary",
        "day": "2031-03-10",
        "start": "09:00",
        "end": "10:00",
        "room_id": "",
        "track_id": "",
        "description": "",
        "capacity": "",
        "csrf_token": token,
    }
    data.update(fields)
    return data


def test_create_a_session_and_see_the_room_and_speaker_conflict(app):
    event_id, hall, _, speaker = _event_with_rooms(app)
    client = signed_in(app, Role.ORGANISER)
    url = f"/organiser/events/{event_id}/sessions/new"
    token = csrf_from(client, url)
    first = client.post(url, data=_session_form(token, room_id=hall, speaker_ids=speaker))
    assert first.status_code == 303
    second = client.post(
        url,
        data=_session_form(
            token,
            title="Mayors' panel",
            start="09:30",
            end="11:00",
            room_id=hall,
            speaker_ids=speaker,
        ),
        follow_redirects=True,
    )
    assert "Conflict" in second.text and "are both in Hall A" in second.text
    assert "both have speaker Dr Siti Rahma" in second.text
    overview = client.get(f"/organiser/events/{event_id}/agenda")
    assert "2 conflicts" in overview.text and "Hall A" in overview.text


def test_invalid_sessions_are_refused_with_reasons(app):
    event_id, _, small, _ = _event_with_rooms(app)
    client = signed_in(app, Role.ORGANISER)
    url = f"/organiser/events/{event_id}/sessions/new"
    token = csrf_from(client, url)
    response = client.post(url, data=_session_form(token, start="11:00", end="10:00"))
    assert response.status_code == 422 and "end after it starts" in response.text
    response = client.post(url, data=_session_form(token, room_id=small, capacity="50"))
    assert response.status_code == 422 and "Room B holds 20" in response.text
    response = client.post(url, data=_session_form(token, day="2031-03-12"))
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AgendaSession.id))) == 0


def test_the_database_itself_keeps_sessions_within_the_event_days(app):
    import pytest
    from builders import local

    with app.app_context():
        event = make_event()
        session = make_session(event)
        session.starts_at = local(event, 5, "09:00")
        session.ends_at = local(event, 5, "10:00")
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_csv_import_previews_errors_then_imports_a_clean_file(app):
    event_id, *_ = _event_with_rooms(app)
    client = signed_in(app, Role.ORGANISER)
    url = f"/organiser/events/{event_id}/agenda/import"
    token = csrf_from(client, url)
    bad = (
        "title,day,start,end,room,track,speakers,description\n"
        "Smart mobility,2031-03-10,09:00,10:00,Hall A,,Dr Siti Rahma,Buses\n"
        "Late,2031-03-10,11:00,10:00,Hall A,,,\n"
        "Nowhere,2031-03-10,12:00,13:00,Moon Room,,Nobody,\n"
    )
    from io import BytesIO

    response = client.post(
        url,
        data={"csrf_token": token, "file": (BytesIO(bad.encode()), "agenda.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "2 of 3 row(s) have errors" in response.text
    assert (
        "must end after it starts" in response.text and "no room named “Moon Room”" in response.text
    )
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AgendaSession.id))) == 0
    good = "\ufefftitle,day,start,end,room,track,speakers,description\n" + (
        "Hội thảo đô thị thông minh,2031-03-11,09:00,10:00,Hall A,,Dr Siti Rahma,"
        '"Line, with comma"\n'
    )
    response = client.post(
        url,
        data={"csrf_token": token, "file": (BytesIO(good.encode()), "agenda.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and "Import 1 session(s)" in response.text
    response = client.post(
        f"/organiser/events/{event_id}/agenda/import/confirm",
        data={"csrf_token": token, "csv_text": good.lstrip("\ufeff")},
    )
    assert response.status_code == 303
    export = client.get(f"/organiser/events/{event_id}/agenda.csv")
    text = export.data.decode("utf-8-sig")
    [row] = list(csv.reader(io.StringIO(text)))[1:]
    assert row[:8] == [
        "Hội thảo đô thị thông minh",
        "2031-03-11",
        "09:00",
        "10:00",
        "Hall A",
        "",
        "Dr Siti Rahma",
        "Line, with comma",
    ]


REQUEST_QUERY_BUDGET = 40  # statements of the request that hands a change to the worker (14 now)


def test_changing_a_session_for_2000_delegates_queues_2000_updates_without_blocking(app):
    with app.app_context():
        event = make_event()
        session = make_session(event, title="Closing plenary", takes_signups=True)
        db.session.commit()
        event_id, session_id, revision = event.id, session.id, session.revision
        signed_up_delegates(event, session, 2000)
    client = signed_in(app, Role.ORGANISER)
    url = f"/organiser/events/{event_id}/sessions/{session_id}"
    token = csrf_from(client, url)
    with count_queries(app) as request_queries:
        response = client.post(
            url,
            data=_session_form(
                token, title="Closing plenary", start="14:00", end="15:00", takes_signups="y"
            ),
        )
    assert response.status_code == 303
    # The request records a notice run for the worker and queues nothing itself: a handful
    # of statements, however many delegates (the fan-out's speed is for bench/, not a test).
    assert request_queries.count < REQUEST_QUERY_BUDGET, request_queries.statements
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0
        pending = db.session.scalars(sa.select(NotificationRun)).one()
        assert (pending.finished_at, pending.queued) == (None, 0), "left to the worker"
        db.session.remove()
        queued = process_pending_runs()
        assert queued == 2000
        messages = db.session.scalars(sa.select(OutboxMessage)).all()
        assert len({m.recipient_emails[0] for m in messages}) == 2000
        run = db.session.scalars(sa.select(NotificationRun)).one()
        assert run.finished_at is not None and run.queued == 2000
        invite = icalendar.Calendar.from_ical(messages[0].attachment_files[0].content)
        vevent = invite.walk("VEVENT")[0]
        assert invite["METHOD"] == "REQUEST"
        assert str(vevent["UID"]).startswith(f"session-{session_id}@")
        assert int(vevent["SEQUENCE"]) > revision


def test_cancelling_a_session_sends_its_delegates_a_cancel(app):
    with app.app_context():
        event = make_event()
        session = make_session(event, title="Site visit", takes_signups=True)
        db.session.commit()
        event_id, session_id = event.id, session.id
        signed_up_delegates(event, session, 3)
    client = signed_in(app, Role.ORGANISER)
    token = csrf_from(client, f"/organiser/events/{event_id}/sessions/{session_id}")
    response = client.post(
        f"/organiser/events/{event_id}/sessions/{session_id}/cancel", data={"csrf_token": token}
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(AgendaSession, session_id).status == SessionStatus.CANCELLED
        messages = db.session.scalars(sa.select(OutboxMessage)).all()
        assert len(messages) == 3
        [(method, cancel)] = invitations_in(delivered(messages[0]))
        assert method == "CANCEL"
        assert cancel["METHOD"] == "CANCEL"
        assert cancel.walk("VEVENT")[0]["STATUS"] == "CANCELLED"


def test_a_session_with_sign_ups_cannot_be_deleted_but_a_draft_one_can(app):
    with app.app_context():
        event = make_event()
        taken = make_session(event, title="Taken", takes_signups=True)
        draft = make_session(event, title="Draft idea", start="11:00", end="12:00")
        db.session.commit()
        event_id, taken_id, draft_id = event.id, taken.id, draft.id
        signed_up_delegates(event, taken, 1)
    client = signed_in(app, Role.ORGANISER)
    token = csrf_from(client, "/organiser/")
    client.post(
        f"/organiser/events/{event_id}/sessions/{taken_id}/delete", data={"csrf_token": token}
    )
    client.post(
        f"/organiser/events/{event_id}/sessions/{draft_id}/delete", data={"csrf_token": token}
    )
    with app.app_context():
        assert db.session.get(AgendaSession, taken_id) is not None
        assert db.session.get(AgendaSession, draft_id) is None


def test_cancelling_an_event_tells_registered_delegates_with_an_event_cancel(app):
    with app.app_context():
        event = make_event()
        session = make_session(event)
        db.session.commit()
        event_id, session_id = event.id, session.id
        signed_up_delegates(event, session, 2)
    client = signed_in(app, Role.ORGANISER)
    token = csrf_from(client, f"/organiser/events/{event_id}/edit")
    response = client.post(
        f"/organiser/events/{event_id}/status", data={"csrf_token": token, "status": "cancelled"}
    )
    assert response.status_code == 303
    with app.app_context():
        messages = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        notices = [m for m in messages if m.template == "notices/event_cancelled"]
        assert len(notices) == 2
        [(method, cancel)] = invitations_in(delivered(notices[0]))
        assert method == "CANCEL"
        assert cancel["METHOD"] == "CANCEL"
        assert str(cancel.walk("VEVENT")[0]["UID"]).startswith(f"event-{event_id}@")
        # Each delegate's seat in the session gets its own cancellation, one per email.
        seats = [m for m in messages if m.template == "registration/calendar_entry"]
        assert len(seats) == 2 and len(messages) == 4
        for message in seats:
            [(method, seat)] = invitations_in(delivered(message))
            assert method == "CANCEL"
            assert str(seat.walk("VEVENT")[0]["UID"]).startswith(f"session-{session_id}@")
    log = signed_in(app, Role.ADMIN).get("/organiser/audit/")
    assert "event cancelled" in log.text


def test_create_and_publish_an_event(app):
    client = signed_in(app, Role.ORGANISER)
    token = csrf_from(client, "/organiser/events/new")
    response = client.post(
        "/organiser/events/new",
        data={
            "csrf_token": token,
            "title": "ASEAN Mayors Forum 2032",
            "slug": "amf-2032",
            "first_day": "2032-10-05",
            "last_day": "2032-10-06",
            "timezone": "Asia/Bangkok",
            "venue_name": "Queen Sirikit Centre",
            "organiser": "UCLG ASPAC",
            "capacity": "300",
        },
    )
    assert response.status_code == 303, response.text
    event_url = response.headers["Location"]
    event_id = int(event_url.split("/")[3])
    client.post(
        f"/organiser/events/{event_id}/status", data={"csrf_token": token, "status": "published"}
    )
    assert app.test_client().get("/events/amf-2032/").status_code == 200


def test_setup_page_adds_rooms_tracks_and_speakers_with_every_id_unique(app, seeded):
    with app.app_context():
        event = make_event()
        db.session.commit()
        event_id = event.id
    client = signed_in(app, Role.ORGANISER)
    url = f"/organiser/events/{event_id}/setup"
    page = client.get(url).text
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for label in ("new-room-name", "new-track-name", "new-speaker-name"):
        assert f'for="{label}"' in page  # each label still names its own input

    token = csrf_from(client, url)
    base = f"/organiser/events/{event_id}"
    for path, prefix, name in (
        ("rooms", "new-room", "Hall B"),
        ("tracks", "new-track", "Mobility"),
        ("speakers", "new-speaker", "Trần Ngọc"),
    ):
        data = {f"{prefix}-csrf_token": token, f"{prefix}-name": name}
        assert client.post(f"{base}/{path}", data=data).status_code == 303
    page = client.get(url).text
    assert "Hall B" in page and "Mobility" in page and "Trần Ngọc" in page
