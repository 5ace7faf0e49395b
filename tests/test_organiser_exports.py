"""What organisers download reads right: one charset, real times in the event's zone, labels."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from builders import make_event, make_session, open_registration, verified_registration
from openpyxl import load_workbook
from organiser_support import signed_in

from amf.accounts.models import Role
from amf.extensions import db
from amf.registration.models import DelegateCategory, Registration


def _event_with_a_cscos_registration(app) -> tuple[int, int, str, int]:
    with app.app_context():
        event = open_registration(make_event())
        session = make_session(event)
        db.session.commit()
        registration_id = verified_registration(
            event, category=DelegateCategory.CHIEF_SMART_CITY_OFFICER
        )
        return event.id, registration_id, event.slug, session.id


def _local_registered_at(app, registration_id: int) -> datetime:
    with app.app_context():
        registration = db.session.get(Registration, registration_id)
        local = registration.created_at.astimezone(registration.event.zone)
        return local.replace(tzinfo=None, microsecond=0)


def test_every_download_names_its_charset_once(seeded):
    app = seeded
    event_id, _, slug, session_id = _event_with_a_cscos_registration(app)
    client = signed_in(app, Role.ORGANISER)
    expected = {
        f"/organiser/events/{event_id}/agenda.csv": "text/csv; charset=utf-8",
        f"/organiser/events/{event_id}/registrations.csv": "text/csv; charset=utf-8",
        f"/organiser/events/{event_id}/registrations.xlsx": (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        ),
        f"/events/{slug}/calendar.ics": "text/calendar; charset=utf-8",
        f"/events/{slug}/sessions/{session_id}.ics": "text/calendar; charset=utf-8",
        f"/events/{slug}/schedule.json": "application/json; charset=utf-8",
        f"/events/{slug}/schedule.xml": "application/xml; charset=utf-8",
    }
    for url, content_type in expected.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Type"] == content_type, url
        if "/organiser/" in url:
            assert response.headers["Content-Disposition"].startswith("attachment; filename=")


def test_registrations_csv_has_local_times_and_labels(seeded):
    app = seeded
    event_id, registration_id, _, _ = _event_with_a_cscos_registration(app)
    client = signed_in(app, Role.ORGANISER)
    text = client.get(f"/organiser/events/{event_id}/registrations.csv").data.decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(text)))
    with app.app_context():
        zone_name = db.session.get(Registration, registration_id).event.timezone
    registered = row[f"registered_at ({zone_name})"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", registered)
    assert registered == _local_registered_at(app, registration_id).strftime("%Y-%m-%d %H:%M:%S")
    assert row["category"] == "Chief Smart City Officer"
    assert row["status"] == "Confirmed"
    assert "csco" not in text


def test_registrations_xlsx_has_a_real_date_cell(seeded):
    app = seeded
    event_id, registration_id, _, _ = _event_with_a_cscos_registration(app)
    client = signed_in(app, Role.ORGANISER)
    data = client.get(f"/organiser/events/{event_id}/registrations.xlsx").data
    sheet = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in sheet[1]]
    column = next(n for n, name in enumerate(header) if name.startswith("registered_at ("))
    cell = sheet[2][column]
    assert isinstance(cell.value, datetime)
    assert cell.value == _local_registered_at(app, registration_id)
    assert cell.number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet[2][header.index("category")].value == "Chief Smart City Officer"
