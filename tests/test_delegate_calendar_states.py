"""What each delegate's calendar holds, and which invitations they are sent, in every state.

The rule (amf.registration.calendar_rule): a confirmed delegate's calendar holds the sessions
everyone attends plus those they hold a seat in; a waiting place is never in it; nothing
without a seat; what a seat or a cancelled registration held comes back CANCELLED.
"""

from __future__ import annotations

import sqlalchemy as sa
from builders import delegate, make_event, make_session, open_registration
from calendar_checks import calendar_property, check_calendar
from conftest import delivered, text_of
from ical.calendar_stream import IcsCalendarStream

from amf.calendar_uids import event_uid, session_uid
from amf.events.models import AgendaSession, Event, SessionKind
from amf.extensions import db
from amf.mail.models import OutboxMessage
from amf.organiser import event_admin
from amf.organiser.agenda import SessionData, cancel_session, update_session
from amf.registration import services
from amf.registration.models import Registration, RegistrationStatus, SessionSignup
from amf.registration.states import organiser
from amf.registration.tokens import InvalidLink, make_verification_token

# ---------------------------------------------------------------- the forum and its people


def _forum(app, capacity=None, **fields) -> dict[str, int]:
    """An open forum: two sessions for everyone, three workshops (1, 3 and 1 seats)."""
    from amf.cities.services import seed_reference_data

    with app.app_context():
        seed_reference_data()
        event = open_registration(make_event(), capacity=capacity, **fields)
        sessions = {
            "plenary": make_session(event, "08:00", "08:45", title="Opening plenary"),
            "lunch": make_session(event, "12:00", "13:00", title="Lunch", kind=SessionKind.BREAK),
            "a": make_session(event, "09:00", "10:00", title="Workshop A", takes_signups=True,
                              capacity=1, kind=SessionKind.WORKSHOP),
            "b": make_session(event, "10:30", "11:30", title="Workshop B", takes_signups=True,
                              capacity=3, kind=SessionKind.WORKSHOP),
            "c": make_session(event, "13:30", "15:00", title="Workshop C", takes_signups=True,
                              capacity=1, kind=SessionKind.WORKSHOP),
        }  # fmt: skip
        db.session.commit()
        ids = {"event": event.id, **{name: s.id for name, s in sessions.items()}}
        uids = {name: session_uid(s.id) for name, s in sessions.items()}
        ids["uid"] = {"event": event_uid(event.id), **uids}
        return ids


def _register(app, ids, n, *sessions, verify=True) -> int:
    with app.app_context():
        event = db.session.get(Event, ids["event"])
        details = delegate(n, session_ids=[ids[s] for s in sessions])
        registration = services.submit_registration(event, details)
        if verify:
            services.verify_registration(_verification_token(registration))
        return registration.id


def _verification_token(registration) -> str:
    return make_verification_token(registration.id, registration.email, registration.manage_nonce)


def _registration(registration_id) -> Registration:
    return db.session.get(Registration, registration_id)


def _uid(ids, name) -> str:
    return ids["uid"][name]


def _names(ids) -> dict[str, str]:
    return {uid: name for name, uid in ids["uid"].items()}


# ---------------------------------------------------------------- what the delegate has


def _feed(app, client, tmp_path, registration_id) -> dict[str, tuple[str, int]]:
    """The personal feed as {session name: (STATUS, SEQUENCE)}, checked by four parsers."""
    with app.app_context():
        token = services.calendar_token(_registration(registration_id))
        ids = {"event": _registration(registration_id).event_id}
        names = {
            session_uid(s.id): s.title
            for s in db.session.scalars(sa.select(AgendaSession).where(
                AgendaSession.event_id == ids["event"]))
        }  # fmt: skip
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    events = check_calendar(response.data, tmp_path)  # icalendar, ical, vobject, calcurse
    assert calendar_property(response.data, "X-WR-CALNAME")[0].endswith("· My agenda")
    return {names[e["UID"]]: (e["STATUS"], int(e["SEQUENCE"])) for e in events}


def _sent(app, registration_id, after_id=0) -> list[tuple[str, list[tuple[str, str, int, str]]]]:
    """Each email to the delegate after ``after_id``: its template and its iTIP objects
    (method, UID, SEQUENCE, STATUS); every message carries at most one, for one UID.
    """
    import icalendar

    found = []
    with app.app_context():
        messages = db.session.scalars(
            sa.select(OutboxMessage)
            .where(
                OutboxMessage.related_type == "registration",
                OutboxMessage.related_id == registration_id,
                OutboxMessage.id > after_id,
            )
            .order_by(OutboxMessage.id)
        ).all()
        for message in messages:
            email = delivered(message)
            parts = [p for p in email.walk() if p.get_content_type() == "text/calendar"]
            objects = []
            for part in parts:
                body = part.get_payload(decode=True)
                IcsCalendarStream.calendar_from_ics(body.decode("utf-8"))  # a second parser
                calendar = icalendar.Calendar.from_ical(body)
                [vevent] = calendar.walk("VEVENT")  # one iTIP object, one UID
                assert part.get_param("method") == calendar["METHOD"]
                objects.append(
                    (
                        str(calendar["METHOD"]),
                        str(vevent["UID"]),
                        int(vevent["SEQUENCE"]),
                        str(vevent["STATUS"]),
                    )
                )
            assert len({uid for _, uid, _, _ in objects}) <= 1, "one UID per message"
            found.append((message.template, sorted(set(objects))))
    return found


def _last_id(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0


def _methods(sent, ids) -> list[tuple[str, str]]:
    """(method, what) of every invitation sent, in order: what names the event or a session."""
    names = _names(ids)
    return [(method, names[uid]) for _, objects in sent for method, uid, _, _ in objects]


def _session_data(session: AgendaSession, **changes) -> SessionData:
    event = session.event
    values = dict(
        title=session.title,
        day=session.starts_at.astimezone(event.zone).date(),
        start=session.starts_at.astimezone(event.zone).time(),
        end=session.ends_at.astimezone(event.zone).time(),
        kind=session.kind,
        room_id=session.room_id,
        takes_signups=session.takes_signups,
        capacity=session.capacity,
    )
    values.update(changes)
    return SessionData(**values)


# ---------------------------------------------------------------- registration states


def test_unverified_delegate_has_an_empty_calendar_and_no_invitation(app, client, tmp_path):
    ids = _forum(app)
    registration_id = _register(app, ids, 1, "a", verify=False)
    assert _feed(app, client, tmp_path, registration_id) == {}
    assert _sent(app, registration_id) == [("registration/verify", [])]


def test_confirmed_delegate_holds_the_common_sessions_and_each_seat(app, client, tmp_path):
    ids = _forum(app)
    registration_id = _register(app, ids, 1, "a", "b")
    assert _feed(app, client, tmp_path, registration_id) == {
        "Opening plenary": ("CONFIRMED", 0),
        "Workshop A": ("CONFIRMED", 0),
        "Workshop B": ("CONFIRMED", 0),
        "Lunch": ("CONFIRMED", 0),
    }
    sent = _sent(app, registration_id)
    # The confirmation carries the event; each seat follows in an email of its own.
    assert [template for template, _ in sent] == [
        "registration/verify",
        "registration/confirmed",
        "registration/calendar_entry",
        "registration/calendar_entry",
    ]
    assert _methods(sent, ids) == [("REQUEST", "event"), ("REQUEST", "a"), ("REQUEST", "b")]
    assert {seq for _, objects in sent for _, _, seq, _ in objects} == {0}


def test_waitlisted_delegate_has_nothing_in_the_calendar(app, client, tmp_path):
    ids = _forum(app, capacity=1)
    _register(app, ids, 1)
    waiting = _register(app, ids, 2, "b")
    assert _feed(app, client, tmp_path, waiting) == {}
    sent = _sent(app, waiting)
    assert [t for t, _ in sent] == ["registration/verify", "registration/waitlisted"]
    assert _methods(sent, ids) == []
    with app.app_context():
        message = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.template == "registration/waitlisted")
        ).one()
        text = text_of(delivered(message))
    assert "number 1 in line" in text


def test_awaiting_approval_and_rejected_hold_nothing(app, client, tmp_path):
    ids = _forum(app, requires_approval=True)
    registration_id = _register(app, ids, 1, "a")
    assert _feed(app, client, tmp_path, registration_id) == {}
    with app.app_context():
        services.reject_registration(
            _registration(registration_id), organiser("organiser@amf.test")
        )
    assert _feed(app, client, tmp_path, registration_id) == {}
    sent = _sent(app, registration_id)
    assert [t for t, _ in sent] == [
        "registration/verify",
        "registration/awaiting_approval",
        "registration/rejected",
    ]
    assert _methods(sent, ids) == []


def test_cancelled_delegate_gets_every_entry_back_cancelled(app, client, tmp_path):
    ids = _forum(app)
    registration_id = _register(app, ids, 1, "a", "b")
    before = _feed(app, client, tmp_path, registration_id)
    mark = _last_id(app)
    with app.app_context():
        services.cancel_registration(_registration(registration_id))
    after = _feed(app, client, tmp_path, registration_id)
    assert after.keys() == before.keys()
    for name, (status, sequence) in after.items():
        assert status == "CANCELLED"
        assert sequence > before[name][1], name
    sent = _sent(app, registration_id, mark)
    assert _methods(sent, ids) == [("CANCEL", "event"), ("CANCEL", "a"), ("CANCEL", "b")]
    assert all(status == "CANCELLED" for _, objects in sent for *_, status in objects)


def test_cancelling_a_waiting_registration_sends_no_calendar_cancellation(app, client, tmp_path):
    ids = _forum(app, capacity=1)
    _register(app, ids, 1)
    waiting = _register(app, ids, 2, "b")
    mark = _last_id(app)
    with app.app_context():
        services.cancel_registration(_registration(waiting))
    assert _feed(app, client, tmp_path, waiting) == {}
    sent = _sent(app, waiting, mark)
    assert [t for t, _ in sent] == ["registration/cancelled"]
    assert _methods(sent, ids) == []


# ---------------------------------------------------------------- session sign-up states


def test_waiting_place_is_never_a_calendar_entry(app, client, tmp_path):
    ids = _forum(app)
    _register(app, ids, 1, "a")
    waiting = _register(app, ids, 2, "a", "b")
    assert "Workshop A" not in _feed(app, client, tmp_path, waiting)
    sent = _sent(app, waiting)
    assert ("REQUEST", "a") not in _methods(sent, ids)
    assert ("REQUEST", "b") in _methods(sent, ids)


def test_moving_a_session_tells_seat_and_waiting_place_apart(app, client, tmp_path):
    """Item 1: the fourth of four delegates for a three-seat workshop gets no REQUEST."""
    ids = _forum(app)
    seated = [_register(app, ids, n, "b") for n in (1, 2, 3)]
    waiting = _register(app, ids, 4, "b")
    mark = _last_id(app)
    with app.app_context():
        session = db.session.get(AgendaSession, ids["b"])
        update_session(session, _session_data(session, start=_time("11:00"), end=_time("12:00")),
                       "organiser@amf.test")  # fmt: skip
    for registration_id in seated:
        sent = _sent(app, registration_id, mark)
        assert [t for t, _ in sent] == ["notices/session_changed"]
        [(method, _, sequence, status)] = sent[0][1]
        assert (method, status, sequence) == ("REQUEST", "CONFIRMED", 1)
        assert _feed(app, client, tmp_path, registration_id)["Workshop B"] == ("CONFIRMED", 1)
    sent = _sent(app, waiting, mark)
    assert sent == [("notices/session_changed", [])]
    assert "Workshop B" not in _feed(app, client, tmp_path, waiting)
    with app.app_context():
        messages = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.id > mark).order_by(OutboxMessage.id)
        ).all()
        seated_text, waiting_text = text_of(delivered(messages[0])), text_of(delivered(messages[3]))
    # Item 3: what changed, before and after, in the event's zone and the delegate's (Hanoi).
    assert "was Monday 10 March 2031, 10:30–11:30 WIB" in seated_text.replace("\r\n", "\n")
    assert "now Monday 10 March 2031, 11:00–12:00 WIB" in seated_text
    assert "in Hanoi, UTC+07:00" not in seated_text  # Hanoi keeps Surabaya's clock
    assert "waiting list (number 1 in line)" in waiting_text


def test_change_email_shows_the_home_city_clock_and_the_old_room(app, client, tmp_path):
    from amf.cities.models import PilotCity
    from amf.events.models import Room

    ids = _forum(app)
    with app.app_context():
        manila = db.session.scalar(sa.select(PilotCity.id).where(PilotCity.slug == "manila"))
        event = db.session.get(Event, ids["event"])
        hall, annex = Room(event=event, name="Hall 1"), Room(event=event, name="Annex")
        db.session.add_all([hall, annex])
        db.session.get(AgendaSession, ids["b"]).room = hall
        db.session.commit()
        registration = services.submit_registration(
            event, delegate(1, city_id=manila, session_ids=[ids["b"]])
        )
        services.verify_registration(_verification_token(registration))
        registration_id, annex_id = registration.id, annex.id
    mark = _last_id(app)
    with app.app_context():
        session = db.session.get(AgendaSession, ids["b"])
        update_session(session, _session_data(session, title="Workshop B: data", room_id=annex_id),
                       "organiser@amf.test")  # fmt: skip
    [(template, [(method, *_)])] = _sent(app, registration_id, mark)
    assert (template, method) == ("notices/session_changed", "REQUEST")
    with app.app_context():
        message = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id > mark)).one()
        text = text_of(delivered(message)).replace("\r\n", "\n")
    assert '- Title: was "Workshop B", now "Workshop B: data"' in text
    assert "- Room: was Hall 1, now Annex" in text
    assert "10:30–11:30 WIB (11:30–12:30 in Manila, UTC+08:00)" in text


def test_giving_up_a_seat_cancels_it_and_promotes_the_next_in_line(app, client, tmp_path):
    ids = _forum(app)
    first = _register(app, ids, 1, "a", "b")
    second = _register(app, ids, 2, "a")
    mark = _last_id(app)
    with app.app_context():
        services.change_sessions(_registration(first), [ids["b"]])
    assert _feed(app, client, tmp_path, first)["Workshop A"] == ("CANCELLED", 1)
    assert _methods(_sent(app, first, mark), ids) == [("CANCEL", "a")]
    # The next in line is promoted, with the invitation the waiting place never had.
    sent = _sent(app, second, mark)
    assert [t for t, _ in sent] == ["registration/session_promoted"]
    assert _methods(sent, ids) == [("REQUEST", "a")]
    assert _feed(app, client, tmp_path, second)["Workshop A"] == ("CONFIRMED", 0)
    # Taking the workshop again (waiting now), then a seat: the REQUEST outranks the CANCEL.
    with app.app_context():
        services.change_sessions(_registration(first), [ids["a"], ids["b"]])
        services.change_sessions(_registration(second), [])
    assert _feed(app, client, tmp_path, first)["Workshop A"] == ("CONFIRMED", 2)


def test_a_cancelled_session_is_cancelled_for_its_seat_holders_only(app, client, tmp_path):
    ids = _forum(app)
    seated = _register(app, ids, 1, "a")
    waiting = _register(app, ids, 2, "a")
    mark = _last_id(app)
    with app.app_context():
        cancel_session(db.session.get(AgendaSession, ids["a"]), "organiser@amf.test")
    assert _methods(_sent(app, seated, mark), ids) == [("CANCEL", "a")]
    assert _feed(app, client, tmp_path, seated)["Workshop A"] == ("CANCELLED", 1)
    assert _sent(app, waiting, mark) == [("notices/session_cancelled", [])]
    assert "Workshop A" not in _feed(app, client, tmp_path, waiting)


# ---------------------------------------------------------------- capacity and fairness


def test_raising_the_event_capacity_promotes_the_first_in_line_at_once(app, client, tmp_path):
    ids = _forum(app, capacity=1)
    _register(app, ids, 1)
    waiting = [_register(app, ids, n) for n in (2, 3, 4)]
    mark = _last_id(app)
    with app.app_context():
        event = db.session.get(Event, ids["event"])
        event_admin.update_event(event, _event_data(event, capacity=3), "organiser@amf.test")
        statuses = [_registration(r).status for r in waiting]
    assert statuses == [
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.WAITLISTED,
    ]
    for registration_id in waiting[:2]:
        sent = _sent(app, registration_id, mark)
        assert [t for t, _ in sent] == ["registration/promoted"]  # each emailed once
        assert _methods(sent, ids) == [("REQUEST", "event")]
    assert _sent(app, waiting[2], mark) == []


def test_a_new_delegate_is_never_seated_ahead_of_the_waiting_list(app, client, tmp_path):
    ids = _forum(app, capacity=1)
    _register(app, ids, 1)
    waiting = _register(app, ids, 2)
    with app.app_context():
        # A seat comes free behind the services' back (e.g. data from before this rule).
        db.session.get(Event, ids["event"]).capacity = 2
        db.session.commit()
    newcomer = _register(app, ids, 3)
    with app.app_context():
        assert _registration(waiting).status == RegistrationStatus.CONFIRMED
        assert _registration(newcomer).status == RegistrationStatus.WAITLISTED


def test_raising_a_sessions_seats_promotes_its_waiting_list(app, client, tmp_path):
    ids = _forum(app)
    _register(app, ids, 1, "a")
    waiting = _register(app, ids, 2, "a")
    mark = _last_id(app)
    with app.app_context():
        session = db.session.get(AgendaSession, ids["a"])
        update_session(session, _session_data(session, capacity=2), "organiser@amf.test")
        signup = db.session.get(SessionSignup, (waiting, ids["a"]))
        assert signup.status.value == "confirmed"
    sent = _sent(app, waiting, mark)
    assert [t for t, _ in sent] == ["registration/session_promoted"]
    assert _methods(sent, ids) == [("REQUEST", "a")]


def _event_data(event: Event, **changes):
    from dataclasses import fields

    values = {f.name: getattr(event, f.name) for f in fields(event_admin.EventData)}
    values = {k: ("" if v is None and k in ("short_title", "contact_email") else v)
              for k, v in values.items()}  # fmt: skip
    values.update(changes)
    return event_admin.EventData(**values)


def _time(clock: str):
    from datetime import time

    hours, minutes = clock.split(":")
    return time(int(hours), int(minutes))


# ---------------------------------------------------------------- links


def test_replacing_the_link_retires_the_verification_link_too(app, client):
    ids = _forum(app)
    with app.app_context():
        event = db.session.get(Event, ids["event"])
        registration = services.submit_registration(event, delegate(1))
        old_verify = _verification_token(registration)
        services.verify_registration(old_verify)
        services.revoke_manage_link(_registration(registration.id))
        new_manage = services.manage_token(_registration(registration.id))
    page = client.get(f"/registrations/verify/{old_verify}")
    assert page.status_code in (400, 404)
    assert new_manage not in page.get_data(as_text=True)
    with app.app_context(), __import__("pytest").raises(InvalidLink):
        services.verify_registration(old_verify)


# ---------------------------------------------------------------- the whole journey


def test_a_delegates_calendar_matches_the_rule_at_every_step(smtp_app, smtp_server, tmp_path):
    """Two workshops and one waiting place, then moved, promoted and cancelled, through a
    real SMTP server: after each step the feed, and the sum of the invitations received,
    hold exactly the sessions the rule says.
    """
    app = smtp_app
    client = app.test_client()
    ids = _forum(app)
    _register(app, ids, 9, "c")  # takes Workshop C's only seat
    delegate_id = _register(app, ids, 1, "a", "b", "c")
    with app.app_context():
        address = _registration(delegate_id).email
    calendar: dict[str, tuple[int, str]] = {}  # UID -> (SEQUENCE, STATUS), as a client keeps

    def receive() -> None:
        """Apply every invitation the delegate received, as a calendar client would."""
        for item in _wait_for_all_sent(app, smtp_server):
            if address not in item.rcpt_tos:
                continue
            for part in item.message.walk():
                if part.get_content_type() != "text/calendar" or part.get_filename():
                    continue
                import icalendar

                [vevent] = icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk(
                    "VEVENT"
                )
                uid, sequence = str(vevent["UID"]), int(vevent["SEQUENCE"])
                if uid not in calendar or sequence > calendar[uid][0]:
                    calendar[uid] = (sequence, str(vevent["STATUS"]))

    def expect(*names: str) -> None:
        receive()
        mailed = {uid for uid, (_, status) in calendar.items() if status == "CONFIRMED"}
        assert mailed == {_uid(ids, name) for name in ("event", *names)} - {
            _uid(ids, "plenary"),
            _uid(ids, "lunch"),
        }
        feed = _feed(app, client, tmp_path, delegate_id)
        confirmed = {name for name, (status, _) in feed.items() if status == "CONFIRMED"}
        assert confirmed == {ids_name[n] for n in names}

    ids_name = {
        "plenary": "Opening plenary", "lunch": "Lunch",
        "a": "Workshop A", "b": "Workshop B", "c": "Workshop C",
    }  # fmt: skip
    expect("plenary", "lunch", "a", "b")  # waiting for C: not in the calendar
    with app.app_context():
        session = db.session.get(AgendaSession, ids["a"])
        update_session(session, _session_data(session, start=_time("09:15"), end=_time("10:15")),
                       "organiser@amf.test")  # fmt: skip
    expect("plenary", "lunch", "a", "b")
    assert calendar[_uid(ids, "a")][0] == 1  # the move reached the calendar
    with app.app_context():
        services.cancel_registration(
            db.session.scalars(
                sa.select(Registration).where(Registration.email == "delegate9@example.org")
            ).one()
        )
    expect("plenary", "lunch", "a", "b", "c")  # promoted into Workshop C
    with app.app_context():
        services.cancel_registration(_registration(delegate_id))
    receive()
    assert {status for _, status in calendar.values()} == {"CANCELLED"}
    feed = _feed(app, client, tmp_path, delegate_id)
    assert {status for status, _ in feed.values()} == {"CANCELLED"}


def _wait_for_all_sent(app, smtp_server):
    """What the SMTP server received once every queued message went out (generous deadline)."""
    from live_processes import wait_until

    from amf.mail.delivery import deliver_messages
    from amf.mail.models import OutboxStatus

    def all_sent() -> bool:
        with app.app_context():
            deliver_messages()
            pending = db.session.scalar(
                sa.select(sa.func.count()).where(OutboxMessage.status != OutboxStatus.SENT)
            )
        return pending == 0 and len(smtp_server.received) >= _count_messages(app)

    assert wait_until(all_sent, timeout=120), "queued messages were not all delivered"
    return smtp_server.received


def _count_messages(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
