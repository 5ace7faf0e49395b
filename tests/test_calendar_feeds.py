"""Event feeds, filters and single-session downloads that real calendar clients accept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from builders import make_event, make_session
from calendar_checks import calendar_property, check_calendar, unfold

from amf.calendar_uids import session_uid
from amf.events.models import EventStatus, Room, SessionStatus, Speaker, Track
from amf.extensions import db

TRICKY_TITLE = "Khai mạc: Thành phố thông minh, bền vững; ASEAN \\ พิธีเปิด การประชุม"
TRICKY_DESCRIPTION = (
    "Line one, with commas; semicolons \\ and a backslash.\n"
    "Dòng hai: Hà Nội — Đà Nẵng.\nบรรทัดที่สาม: กรุงเทพมหานคร " + "ยาวมาก" * 20
)


def _uid(app, session_id: int) -> str:
    with app.app_context():
        return session_uid(session_id)


def _agenda(app, timezone="Asia/Jakarta", **event_fields):
    with app.app_context():
        event = make_event(timezone=timezone, **event_fields)
        hall = Room(event=event, name="Hall A, level 2", position=0)
        track = Track(event=event, slug="energy", name="Energy; transition")
        opening = make_session(
            event, "09:00", "10:30", title=TRICKY_TITLE, room=hall, track=track,
            description=TRICKY_DESCRIPTION,
        )  # fmt: skip
        opening.speakers.append(Speaker(event=event, name="Nguyễn Thị Lan", honorific="Dr"))
        make_session(event, "11:00", "12:00", day=1, title="Line\nbreak in a title")
        db.session.commit()
        return event.slug, opening.id, hall.id


def test_event_feed_passes_every_parser_and_byte_check(app, client, tmp_path):
    slug, opening_id, _ = _agenda(app)
    response = client.get(f"/events/{slug}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Content-Encoding" not in response.headers
    assert "attachment" not in response.headers.get("Content-Disposition", "")
    events = check_calendar(response.data, tmp_path)
    assert len(events) == 2
    with app.app_context():
        assert events[0]["UID"] == session_uid(opening_id)


def test_calendar_properties_name_refresh_and_no_method(app, client):
    slug, _, _ = _agenda(app)
    body = client.get(f"/events/{slug}/calendar.ics").data
    assert calendar_property(body, "NAME") == calendar_property(body, "X-WR-CALNAME")
    assert calendar_property(body, "NAME") == [f"Forum {slug}"]
    lines = unfold(body)
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines
    assert "X-PUBLISHED-TTL:PT1H" in lines
    assert not calendar_property(body, "METHOD")
    assert not calendar_property(body, "ATTENDEE")


def test_tricky_text_round_trips_through_independent_parsers(app, client):
    import icalendar
    import vobject
    from ical.calendar_stream import IcsCalendarStream

    slug, _, _ = _agenda(app)
    body = client.get(f"/events/{slug}/calendar.ics").data
    text = body.decode()
    parsed = icalendar.Calendar.from_ical(body).walk("VEVENT")[0]
    assert str(parsed["SUMMARY"]) == TRICKY_TITLE
    assert str(parsed["DESCRIPTION"]).startswith(TRICKY_DESCRIPTION)
    assert str(parsed["LOCATION"]) == "Hall A, level 2, Test venue"
    card = vobject.readOne(text, validate=True).vevent_list[0]
    assert card.summary.value == TRICKY_TITLE
    assert card.description.value.startswith(TRICKY_DESCRIPTION)
    assert "Speakers: Dr Nguyễn Thị Lan" in card.description.value
    strict = IcsCalendarStream.calendar_from_ics(text).events[0]
    assert strict.summary == TRICKY_TITLE
    assert strict.description.startswith(TRICKY_DESCRIPTION)
    second = icalendar.Calendar.from_ical(body).walk("VEVENT")[1]
    assert str(second["SUMMARY"]) == "Line break in a title"


@pytest.mark.parametrize(("zone", "offset"), [("Asia/Jakarta", "+0700"), ("Asia/Yangon", "+0630")])
def test_asean_zone_gets_one_standard_block(app, client, tmp_path, zone, offset):
    import icalendar

    slug, _, _ = _agenda(app, timezone=zone)
    body = client.get(f"/events/{slug}/calendar.ics").data
    check_calendar(body, tmp_path)
    calendar = icalendar.Calendar.from_ical(body)
    (timezone,) = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == zone
    assert len(timezone.walk("STANDARD")) == 1 and not timezone.walk("DAYLIGHT")
    assert f"TZOFFSETTO:{offset}" in unfold(body)
    event = calendar.walk("VEVENT")[0]
    assert event["DTSTART"].params["TZID"] == zone
    assert event.decoded("DTSTART").strftime("%H:%M") == "09:00"
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=90)


def test_zone_with_daylight_saving_is_written_in_utc(app, client, tmp_path):
    import icalendar

    slug, _, _ = _agenda(app, timezone="Australia/Sydney")
    body = client.get(f"/events/{slug}/calendar.ics").data
    check_calendar(body, tmp_path)
    calendar = icalendar.Calendar.from_ical(body)
    assert not calendar.walk("VTIMEZONE")
    assert all(line.endswith("Z") for line in calendar_property(body, "DTSTART"))


def test_cancelled_session_stays_with_status_cancelled_and_higher_sequence(app, client, tmp_path):
    slug, opening_id, _ = _agenda(app)
    before = check_calendar(client.get(f"/events/{slug}/calendar.ics").data, tmp_path)[0]
    with app.app_context():
        from amf.events.models import AgendaSession

        db.session.get(AgendaSession, opening_id).status = SessionStatus.CANCELLED
        db.session.commit()
    after = check_calendar(client.get(f"/events/{slug}/calendar.ics").data, tmp_path)[0]
    assert after["UID"] == before["UID"]
    assert after["STATUS"] == "CANCELLED" and before["STATUS"] == "CONFIRMED"
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after["LAST-MODIFIED"] >= before["LAST-MODIFIED"]


def test_cancelled_event_shows_its_sessions_cancelled(app, client, tmp_path):
    slug, _, _ = _agenda(app)
    before = check_calendar(client.get(f"/events/{slug}/calendar.ics").data, tmp_path)
    with app.app_context():
        from amf.events.models import Event

        db.session.scalars(db.select(Event)).one().status = EventStatus.CANCELLED
        db.session.commit()
    after = check_calendar(client.get(f"/events/{slug}/calendar.ics").data, tmp_path)
    for old, new in zip(before, after, strict=True):
        assert new["STATUS"] == "CANCELLED" and int(new["SEQUENCE"]) == int(old["SEQUENCE"]) + 1


def test_track_and_room_feeds_have_their_own_names(app, client, tmp_path):
    slug, opening_id, hall_id = _agenda(app)
    track = client.get(f"/events/{slug}/tracks/energy/calendar.ics")
    room = client.get(f"/events/{slug}/rooms/{hall_id}/calendar.ics")
    for response, name in ((track, "Energy\\; transition"), (room, "Hall A\\, level 2")):
        assert response.status_code == 200
        events = check_calendar(response.data, tmp_path)
        assert [e["UID"] for e in events] == [_uid(app, opening_id)]
        (calname,) = calendar_property(response.data, "X-WR-CALNAME")
        assert calname == f"Forum {slug} · {name}"
        assert calendar_property(response.data, "NAME") == [calname]
    assert client.get(f"/events/{slug}/tracks/nope/calendar.ics").status_code == 404
    assert client.get(f"/events/{slug}/rooms/999999/calendar.ics").status_code == 404


def test_single_session_download_is_an_attachment_with_the_same_uid(app, client, tmp_path):
    slug, opening_id, _ = _agenda(app)
    response = client.get(f"/events/{slug}/sessions/{opening_id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="{slug}-session-{opening_id}.ics"'
    (event,) = check_calendar(response.data, tmp_path)
    assert event["UID"] == _uid(app, opening_id)
    assert not calendar_property(response.data, "REFRESH-INTERVAL")
    assert client.get(f"/events/{slug}/sessions/999999.ics").status_code == 404


def test_drafts_and_unknown_events_have_no_feeds(app, client):
    with app.app_context():
        event = make_event(slug="secret-draft", status=EventStatus.DRAFT)
        session = make_session(event)
        db.session.commit()
        session_id = session.id
    for path in (
        "/events/secret-draft/calendar.ics",
        f"/events/secret-draft/sessions/{session_id}.ics",
        "/events/secret-draft/schedule.xml",
        "/events/secret-draft/schedule.json",
        "/events/no-such-event/calendar.ics",
    ):
        assert client.get(path).status_code == 404, path


def test_empty_agenda_is_still_a_valid_calendar(app, client, tmp_path):
    with app.app_context():
        make_event(slug="empty-forum")
        db.session.commit()
    body = client.get("/events/empty-forum/calendar.ics").data
    assert check_calendar(body, tmp_path) == []


def test_two_requests_without_change_are_byte_identical(app, client):
    slug, _, _ = _agenda(app)
    first = client.get(f"/events/{slug}/calendar.ics").data
    with app.app_context():
        from amf.calendar.cache import document_cache

        document_cache().clear()
    assert client.get(f"/events/{slug}/calendar.ics").data == first
