"""An organiser exports the agenda, edits it in a spreadsheet, and imports it back."""

from __future__ import annotations

import csv
import io
from io import BytesIO

import sqlalchemy as sa
from builders import signed_up_delegates
from organiser_support import csrf_from, signed_in

from amf.accounts.models import Role
from amf.audit.models import AuditEntry
from amf.events.models import AgendaSession, Event, SessionKind
from amf.extensions import db
from amf.mail.models import OutboxMessage
from amf.notices.models import NotificationRun

WATCHED = (
    "agenda_session",
    "session_speaker",
    "event",
    "notification_run",
    "outbox_message",
    "audit_entry",
)


def _practice_event(app) -> int:
    from amf.events.demo import load_practice_event

    with app.app_context():
        event, _ = load_practice_event()
        db.session.commit()
        return event.id


def _workshop_with_two_delegates(app, event_id: int) -> int:
    """The first workshop taking sign-ups, with two delegates holding seats in it."""
    with app.app_context():
        workshop = db.session.scalars(
            sa.select(AgendaSession).where(
                AgendaSession.event_id == event_id, AgendaSession.takes_signups.is_(True)
            )
        ).first()
        signed_up_delegates(workshop.event, workshop, 2)
        return workshop.id


def _database_state(app) -> dict[str, list]:
    """Every row of the agenda, its event and the notices and emails, as plain tuples."""
    with app.app_context():
        return {
            name: sorted(
                map(tuple, db.session.execute(sa.select(db.metadata.tables[name])).all()), key=str
            )
            for name in WATCHED
        }


def _upload(client, event_id: int, text: str):
    url = f"/organiser/events/{event_id}/agenda/import"
    return client.post(
        url,
        data={"csrf_token": csrf_from(client, url), "file": (BytesIO(text.encode()), "a.csv")},
        content_type="multipart/form-data",
    )


def _confirm(client, event_id: int, text: str, revision: int):
    url = f"/organiser/events/{event_id}/agenda/import"
    return client.post(
        f"{url}/confirm",
        data={"csrf_token": csrf_from(client, url), "csv_text": text, "revision": revision},
        follow_redirects=True,
    )


def _export(client, event_id: int) -> tuple[list[str], list[dict[str, str]]]:
    response = client.get(f"/organiser/events/{event_id}/agenda.csv")
    assert response.status_code == 200
    reader = csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")))
    return list(reader.fieldnames), list(reader)


def _to_csv(header: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, header)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _revision(app, event_id: int) -> int:
    with app.app_context():
        return db.session.get(Event, event_id).agenda_revision


def test_importing_the_agenda_export_changes_nothing_and_says_so(seeded):
    app = seeded
    event_id = _practice_event(app)
    _workshop_with_two_delegates(app, event_id)
    with app.app_context():
        total = db.session.scalar(
            sa.select(sa.func.count()).where(AgendaSession.event_id == event_id)
        )
    client = signed_in(app, Role.ORGANISER)
    raw = client.get(f"/organiser/events/{event_id}/agenda.csv").data.decode("utf-8-sig")
    before = _database_state(app)

    preview = _upload(client, event_id, raw)
    assert preview.status_code == 200
    assert f"{total} unchanged, 0 updated, 0 new" in preview.text
    assert preview.text.count("<td>Unchanged") == total
    assert "Nothing to import" in preview.text and "/agenda/import/confirm" not in preview.text
    # Confirming anyway (an old tab, a replayed form) writes nothing either.
    confirmed = _confirm(client, event_id, raw, _revision(app, event_id))
    assert f"0 new, 0 updated, {total} unchanged" in confirmed.text
    assert _database_state(app) == before


def test_a_changed_row_updates_its_session_and_its_delegates_are_told(seeded):
    app = seeded
    event_id = _practice_event(app)
    workshop_id = _workshop_with_two_delegates(app, event_id)
    with app.app_context():
        workshop = db.session.get(AgendaSession, workshop_id)
        revision = workshop.revision
        capacity, speakers = workshop.capacity, {s.id for s in workshop.speakers}
        count = db.session.scalar(sa.select(sa.func.count(AgendaSession.id)))
    client = signed_in(app, Role.ORGANISER)
    header, rows = _export(client, event_id)
    row = next(r for r in rows if r["id"] == str(workshop_id))
    was = row["start"]
    row["start"], row["end"] = "14:00", "15:30"
    text = _to_csv(header, rows)

    preview = _upload(client, event_id, text)
    assert f"{len(rows) - 1} unchanged, 1 updated, 0 new" in preview.text
    assert f"time: {was}–" in preview.text and "→ 14:00–15:30" in preview.text
    response = _confirm(client, event_id, text, _revision(app, event_id))
    assert "0 new, 1 updated" in response.text
    assert "2 signed-up delegate(s) are being sent the update" in response.text
    with app.app_context():
        moved = db.session.get(AgendaSession, workshop_id)
        local = moved.starts_at.astimezone(moved.event.zone)
        assert local.strftime("%H:%M") == "14:00"
        assert moved.revision == revision + 1
        # What the file does not change stays: seats, sign-ups, speakers.
        assert moved.takes_signups and moved.capacity == capacity
        assert {s.id for s in moved.speakers} == speakers
        assert db.session.scalar(sa.select(sa.func.count(AgendaSession.id))) == count
        assert db.session.scalar(sa.select(sa.func.count(NotificationRun.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 2
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.object_type == "session")
        ).one()
        assert (entry.action, entry.object_id) == ("session changed", workshop_id)
    # The same file again: the session already says so.
    again = _upload(client, event_id, text)
    assert f"{len(rows)} unchanged, 0 updated, 0 new" in again.text


def test_kind_round_trips_and_a_new_row_adds_one_session(seeded):
    app = seeded
    event_id = _practice_event(app)
    client = signed_in(app, Role.ORGANISER)
    header, rows = _export(client, event_id)
    new = dict.fromkeys(header, "") | {
        "title": "Smart water workshop",
        "day": rows[0]["day"],
        "start": "16:00",
        "end": "17:00",
        "kind": "Workshop",
    }
    site_visit = next(r for r in rows if r["kind"] == "site_visit")
    site_visit["kind"] = "ceremony"
    text = _to_csv(header, [*rows, new])
    preview = _upload(client, event_id, text)
    assert f"{len(rows) - 1} unchanged, 1 updated, 1 new" in preview.text
    assert "kind: site visit → ceremony" in preview.text
    _confirm(client, event_id, text, _revision(app, event_id))
    with app.app_context():
        added = db.session.scalars(
            sa.select(AgendaSession).where(AgendaSession.title == "Smart water workshop")
        ).one()
        assert added.kind is SessionKind.WORKSHOP
        changed = db.session.get(AgendaSession, int(site_visit["id"]))
        assert changed.kind is SessionKind.CEREMONY
    _, exported = _export(client, event_id)
    assert next(r for r in exported if r["title"] == "Smart water workshop")["kind"] == "workshop"


def test_a_file_without_ids_matches_sessions_by_title_day_and_start(seeded):
    app = seeded
    event_id = _practice_event(app)
    client = signed_in(app, Role.ORGANISER)
    _, rows = _export(client, event_id)
    plain = ["title", "day", "start", "end", "room", "track", "speakers", "description"]
    rows[0]["description"] = "Doors open at 08:30."
    text = _to_csv([*plain, "notes"], [{k: r[k] for k in plain} for r in rows])
    preview = _upload(client, event_id, text)
    assert f"{len(rows) - 1} unchanged, 1 updated, 0 new" in preview.text
    assert "description changed" in preview.text
    assert "Not read: the column(s) notes." in preview.text
    # Columns left out keep what the sessions have: rooms, speakers, kinds, seats.
    minimal = ["title", "day", "start", "end"]
    preview = _upload(
        client, event_id, _to_csv(minimal, [{k: r[k] for k in minimal} for r in rows])
    )
    assert f"{len(rows)} unchanged, 0 updated, 0 new" in preview.text
    # A session moved without its id is a new row, and the preview says there is one already.
    rows[1]["start"] = "07:00"
    text = _to_csv(plain, [{k: r[k] for k in plain} for r in rows])
    preview = _upload(client, event_id, text)
    assert "1 new" in preview.text and "this row adds another" in preview.text


def test_rows_that_cannot_be_imported_say_why_and_nothing_is_written(seeded):
    app = seeded
    event_id = _practice_event(app)
    client = signed_in(app, Role.ORGANISER)
    header, rows = _export(client, event_id)
    rows[0]["kind"] = "karaoke"
    rows[1]["id"] = "999999"
    rows[2]["status"] = "cancelled"
    rows[4]["id"] = rows[3]["id"]
    text = _to_csv(header, rows)
    before = _database_state(app)
    preview = _upload(client, event_id, text)
    assert preview.status_code == 422
    assert "4 of" in preview.text and "row(s) have errors" in preview.text
    assert "no kind “karaoke”" in preview.text
    assert "this event has no session 999999" in preview.text
    assert "the import does not cancel or reinstate sessions" in preview.text
    assert "The same session as line 5" in preview.text
    response = _confirm(client, event_id, text, _revision(app, event_id))
    assert "The file has errors; nothing was imported." in response.text
    assert _database_state(app) == before


def test_a_preview_made_before_the_agenda_changed_is_not_imported(seeded):
    app = seeded
    event_id = _practice_event(app)
    client = signed_in(app, Role.ORGANISER)
    header, rows = _export(client, event_id)
    title, rows[0]["title"] = rows[0]["title"], "Opening, renamed"
    text = _to_csv(header, rows)
    revision = _revision(app, event_id)
    with app.app_context():
        other = db.session.get(AgendaSession, int(rows[1]["id"]))
        other.description = "Changed by a colleague meanwhile."
        db.session.commit()
    response = _confirm(client, event_id, text, revision)
    assert "The agenda changed since the preview" in response.text
    with app.app_context():
        assert db.session.get(AgendaSession, int(rows[0]["id"])).title == title


def test_text_the_export_protects_from_spreadsheets_reads_back_as_it_was(seeded):
    """The export writes "'- item" so Excel runs no formula; the import reads "- item"."""
    app = seeded
    event_id = _practice_event(app)
    client = signed_in(app, Role.ORGANISER)
    _, rows = _export(client, event_id)
    with app.app_context():
        session = db.session.get(AgendaSession, int(rows[0]["id"]))
        session.title = "+62: Indonesia's cities"
        session.description = "Topics:\n- mobility\n- water, -2% losses\n@ the venue"
        db.session.commit()
    header, rows = _export(client, event_id)
    assert rows[0]["title"].startswith("'+62") and "\n'- mobility" in rows[0]["description"]
    # Saved again by a spreadsheet: clock times lose their leading zero.
    for row in rows:
        row["start"] = row["start"].removeprefix("0")
    preview = _upload(client, event_id, _to_csv(header, rows))
    assert f"{len(rows)} unchanged, 0 updated, 0 new" in preview.text
