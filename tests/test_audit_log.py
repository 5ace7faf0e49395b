"""The audit log reads right: a session moved by 30 minutes reads as a 30-minute move."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa
from builders import make_event, make_session
from organiser_support import csrf_from, signed_in

from amf.accounts.models import Role
from amf.audit.models import AuditEntry
from amf.audit.services import record
from amf.extensions import db

CHANGE = re.compile(r"<li><strong>(\w+)</strong>: ([^<]*) → ([^<]*)</li>")


def _changes(page: str) -> dict[str, tuple[str, str]]:
    return {name: (html.unescape(a), html.unescape(b)) for name, a, b in CHANGE.findall(page)}


def _moved_session(app) -> tuple[int, int]:
    """A workshop in Surabaya (WIB, UTC+7) moved from 13:30 to 14:00 through the form."""
    with app.app_context():
        event = make_event()
        session = make_session(event, "13:30", "15:00", title="Smart mobility")
        db.session.commit()
        event_id, session_id = event.id, session.id
    client = signed_in(app, Role.ADMIN)
    url = f"/organiser/events/{event_id}/sessions/{session_id}"
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(client, url),
            "title": "Smart mobility",
            "kind": "plenary",
            "day": "2031-03-10",
            "start": "14:00",
            "end": "15:30",
            "description": "",
            "capacity": "",
        },
    )
    assert response.status_code == 303
    return event_id, session_id


def test_a_move_reads_in_the_events_zone_from_the_sessions_history_link(app):
    event_id, session_id = _moved_session(app)
    client = signed_in(app, Role.ADMIN, email="reader@amf.test")
    page = client.get(f"/organiser/events/{event_id}/sessions/{session_id}").text
    [link] = re.findall(r'href="([^"]*/organiser/audit/[^"]*)"[^>]*>History of this session', page)
    history = client.get(html.unescape(link))
    assert history.status_code == 200 and "Times in Asia/Jakarta" in history.text
    changes = _changes(history.text)
    assert changes["starts_at"] == ("2031-03-10 13:30 WIB", "2031-03-10 14:00 WIB")
    assert changes["ends_at"] == ("2031-03-10 15:00 WIB", "2031-03-10 15:30 WIB")
    shown = re.sub(r"<[^>]+>", "", history.text)  # what people read, not the markup
    assert "+00:00" not in shown and "+07:00" not in shown


def test_the_whole_log_shows_every_time_in_utc_and_says_so(app):
    _moved_session(app)
    client = signed_in(app, Role.ADMIN, email="reader@amf.test")
    log = client.get("/organiser/audit/")
    assert "Times in UTC" in log.text
    assert _changes(log.text)["starts_at"] == ("2031-03-10 06:30 UTC", "2031-03-10 07:00 UTC")
    when = re.findall(r"<time datetime=\"[^\"]+\">([^<]+)</time>", log.text)
    assert when and all(w.endswith(" UTC") for w in when)


def test_entries_recorded_with_mixed_offsets_read_consistently(app):
    with app.app_context():
        record("cli", "session changed", "session", 1, "old entry")
        db.session.commit()
        entry = db.session.scalars(sa.select(AuditEntry)).one()
        # As entries were stored before every instant was kept in UTC.
        entry.changes = {"starts_at": ["2031-03-10 06:30:00+00:00", "2031-03-10 14:00:00+07:00"]}
        db.session.commit()
    client = signed_in(app, Role.ADMIN)
    jakarta = client.get("/organiser/audit/?tz=Asia/Jakarta").text
    assert _changes(jakarta)["starts_at"] == ("2031-03-10 13:30 WIB", "2031-03-10 14:00 WIB")
    assert "Times in UTC" in client.get("/organiser/audit/?tz=Mars/Olympus").text


def test_instants_are_stored_in_utc(app):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    with app.app_context():
        moment = datetime(2031, 3, 10, 14, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
        entry = record("cli", "test", "session", 1, changes={"at": [None, moment]})
        db.session.commit()
        assert entry.changes == {"at": [None, "2031-03-10T07:00:00+00:00"]}


def test_a_corrected_category_is_logged_by_its_label(seeded):
    from builders import open_registration, verified_registration

    from amf.cities.models import PilotCity
    from amf.registration.models import DelegateCategory

    app = seeded
    with app.app_context():
        event = open_registration(make_event())
        db.session.commit()
        registration_id = verified_registration(
            event, category=DelegateCategory.CHIEF_SMART_CITY_OFFICER
        )
        hanoi = db.session.scalar(sa.select(PilotCity.id).where(PilotCity.slug == "hanoi"))
        url = f"/organiser/events/{event.id}/registrations/{registration_id}"
    client = signed_in(app, Role.ADMIN)
    form = {
        "csrf_token": csrf_from(client, url),
        "given_names": "Đức Chung",
        "family_name": "Nguyễn",
        "category": "head_of_city",
        "city": str(hanoi),
        "officer_id": "",
    }
    assert client.post(f"{url}/details", data=form).status_code == 303
    changes = _changes(client.get("/organiser/audit/").text)
    assert changes["category"] == (
        "Chief Smart City Officer",
        "Head of city (mayor, governor, deputy)",
    )
    assert changes["given_names"] == ("Delegate 1", "Đức Chung")
