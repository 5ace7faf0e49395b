"""schedule.xml and schedule.json for conference apps, checked against the c3voc schemas."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from builders import make_event, make_session

from amf.calendar_uids import guid_for, session_uid
from amf.events.models import Room, SessionStatus, Speaker, Track
from amf.extensions import db

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def schemas():
    """The c3voc schedule schemas (copied into tests/fixtures/schedule, see its README)."""
    return FIXTURES / "schedule"


def _agenda(app, zone="Asia/Yangon"):
    with app.app_context():
        event = make_event(slug="amf-2031", timezone=zone)
        hall = Room(event=event, name="Hall A", position=0)
        track = Track(event=event, slug="energy", name="Energy")
        first = make_session(
            event, "09:00", "10:30", title="Khai mạc; opening, ASEAN", room=hall, track=track,
            description="Line one\nLine two, Thai: พิธีเปิด",
        )  # fmt: skip
        first.speakers.append(Speaker(event=event, name="Nguyễn Thị Lan"))
        make_session(event, "11:00", "12:00", day=1, title="No room")
        make_session(event, "13:00", "14:00", title="Called off", status=SessionStatus.CANCELLED)
        db.session.commit()
        return event.slug, first.id


def test_schedule_json_validates_and_shares_guids_with_the_calendar(app, client, schemas):
    import jsonschema

    slug, first_id = _agenda(app)
    response = client.get(f"/events/{slug}/schedule.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    data = json.loads(response.data)
    schema = json.loads((schemas / "schedule.schema.json").read_text())
    validator = jsonschema.Draft6Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(data), key=str)
    assert not errors, errors[:3]
    events = [
        e
        for day in data["schedule"]["conference"]["days"]
        for r in day["rooms"].values()
        for e in r
    ]
    assert len(events) == 3
    with app.app_context():
        expected = str(guid_for(session_uid(first_id)))
    first = next(e for e in events if e["id"] == first_id)
    assert first["guid"] == expected and uuid.UUID(first["guid"]).version == 5
    assert first["title"] == "Khai mạc; opening, ASEAN"
    assert first["date"].endswith("+06:30") and first["start"] == "09:00"
    assert first["duration"] == "01:30"
    assert any(e["title"] == "Cancelled: Called off" for e in events)


def test_schedule_xml_validates_against_the_xsd(app, client, schemas):
    from lxml import etree

    slug, first_id = _agenda(app)
    response = client.get(f"/events/{slug}/schedule.xml")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    schema = etree.XMLSchema(etree.parse(str(schemas / "schedule.xml.xsd")))
    document = etree.fromstring(response.data)
    assert schema.validate(document), schema.error_log
    with app.app_context():
        expected = str(guid_for(session_uid(first_id)))
    (event,) = document.xpath(f"//event[@id='{first_id}']")
    assert event.get("guid") == expected
    assert event.findtext("description") == "Line one\nLine two, Thai: พิธีเปิด"


def test_xml_and_json_come_from_the_same_data(app, client, schemas):
    from lxml import etree

    slug, _ = _agenda(app, zone="Asia/Jakarta")
    data = json.loads(client.get(f"/events/{slug}/schedule.json").data)
    document = etree.fromstring(client.get(f"/events/{slug}/schedule.xml").data)
    from_json = sorted(
        (e["guid"], e["title"], e["date"], e["room"])
        for day in data["schedule"]["conference"]["days"]
        for r in day["rooms"].values()
        for e in r
    )
    from_xml = sorted(
        (e.get("guid"), e.findtext("title"), e.findtext("date"), e.findtext("room"))
        for e in document.iter("event")
    )
    assert from_json == from_xml
