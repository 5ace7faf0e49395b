"""Organisers handle delegations: list, decide, export; staff check delegates in at the door."""

from __future__ import annotations

import csv
import io
import re
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from builders import delegate, make_event, make_session, open_registration
from conftest import count_queries
from openpyxl import load_workbook
from organiser_support import csrf_from, signed_in

from amf.accounts.models import Role
from amf.cities.models import Officer, PilotCity
from amf.events.models import Event
from amf.extensions import db
from amf.mail.models import OutboxMessage
from amf.registration.models import Registration, RegistrationStatus
from amf.registration.passes import CheckinPass, checkin_code
from amf.registration.services import submit_registration, verify_registration
from amf.registration.tokens import make_verification_token


def _register(n, event, **fields):
    registration = submit_registration(event, delegate(n, **fields))
    verify_registration(
        make_verification_token(registration.id, registration.email, registration.manage_nonce)
    )
    return registration.id


def _mail_to(smtp_server, address):
    return [r.message for r in smtp_server.received if address in r.rcpt_tos]


def test_approve_promote_and_cancel_each_email_the_delegate(smtp_app, smtp_server, seeded):
    with smtp_app.app_context():
        event = open_registration(make_event(), capacity=1, requires_approval=True)
        db.session.commit()
        first, second = _register(1, event), _register(2, event)
        hanoi_officer = db.session.scalars(
            sa.select(Officer).join(Officer.city).where(PilotCity.slug == "hanoi")
        ).first()
        hanoi_officer.email = "officer.hanoi@example.org"
        db.session.commit()
        event_id = event.id
    client = signed_in(smtp_app, Role.ORGANISER)
    base = f"/organiser/events/{event_id}/registrations"
    token = csrf_from(client, f"{base}/{first}")
    assert client.post(f"{base}/{first}/approve", data={"csrf_token": token}).status_code == 303
    assert client.post(f"{base}/{second}/approve", data={"csrf_token": token}).status_code == 303
    with smtp_app.app_context():
        assert db.session.get(Registration, first).status == RegistrationStatus.CONFIRMED
        assert db.session.get(Registration, second).status == RegistrationStatus.WAITLISTED
    confirmed = _mail_to(smtp_server, "delegate1@example.org")[-1]
    assert "confirmed" in confirmed["Subject"].lower()
    html_part = confirmed.get_body(("html",))
    html = html_part.get_content()
    # The QR code rides as an inline image the HTML names by Content-ID: Gmail and Outlook
    # show no data: images.
    [src] = re.findall(r'<img src="cid:([^"]+)"', html)
    [image] = [p for p in confirmed.walk() if p.get_content_type() == "image/png"]
    assert image["Content-ID"] == f"<{src}>" and image.get_content_disposition() == "inline"
    assert image.get_content().startswith(b"\x89PNG\r\n")
    assert "data:image" not in html and "AMF-" in html
    officer_note = _mail_to(smtp_server, "officer.hanoi@example.org")
    assert officer_note and "Hanoi delegate confirmed" in officer_note[0]["Subject"]
    # Resending the confirmation tells the delegate again, not the city's officers.
    before = len(_mail_to(smtp_server, "delegate1@example.org"))
    client.post(f"{base}/{first}/resend", data={"csrf_token": token})
    assert len(_mail_to(smtp_server, "delegate1@example.org")) == before + 1
    assert "confirmed" in _mail_to(smtp_server, "delegate1@example.org")[-1]["Subject"].lower()
    assert len(_mail_to(smtp_server, "officer.hanoi@example.org")) == 1

    # The event is full (1 of 1): the page says moving up goes beyond capacity.
    waiting = client.get(f"{base}/{second}").text
    assert "The event is full (1 of 1 seats taken)" in waiting
    client.post(f"{base}/{second}/promote", data={"csrf_token": token})
    promoted = _mail_to(smtp_server, "delegate2@example.org")[-1]
    assert promoted["Subject"].startswith("A seat is yours")
    assert "came free" not in promoted.get_body(("plain",)).get_content()  # nobody left
    with smtp_app.app_context():
        assert db.session.get(Registration, second).status == RegistrationStatus.CONFIRMED
    # Cancelling on the delegate's behalf needs the box ticked; without it nothing happens.
    unticked = client.post(f"{base}/{second}/cancel", data={"csrf_token": token})
    assert "Tick the box to confirm" in client.get(unticked.headers["Location"]).text
    with smtp_app.app_context():
        assert db.session.get(Registration, second).status == RegistrationStatus.CONFIRMED
    client.post(f"{base}/{second}/cancel", data={"csrf_token": token, "confirm": "y"})
    last = _mail_to(smtp_server, "delegate2@example.org")[-1]
    assert any(part.get_content_type() == "text/calendar" for part in last.walk())
    with smtp_app.app_context():
        assert db.session.get(Registration, second).status == RegistrationStatus.CANCELLED
    detail = client.get(f"{base}/{second}")
    assert "moved from the waiting list" in detail.text and "cancelled" in detail.text
    # A decision the state forbids is refused and changes nothing.
    client.post(f"{base}/{second}/approve", data={"csrf_token": token})
    with smtp_app.app_context():
        assert db.session.get(Registration, second).status == RegistrationStatus.CANCELLED


def test_reject_sends_the_reason(smtp_app, smtp_server, seeded):
    with smtp_app.app_context():
        event = open_registration(make_event(), requires_approval=True)
        db.session.commit()
        rid, event_id = _register(1, event), event.id
    client = signed_in(smtp_app, Role.ORGANISER)
    url = f"/organiser/events/{event_id}/registrations/{rid}"
    token = csrf_from(client, url)
    client.post(f"{url}/reject", data={"csrf_token": token, "reason": "Places are for cities."})
    body = _mail_to(smtp_server, "delegate1@example.org")[-1].get_body(("plain",)).get_content()
    assert "Places are for cities." in body


def test_list_filters_searches_and_pages_in_a_fixed_number_of_queries(seeded):
    app = seeded
    with app.app_context():
        event = open_registration(make_event())
        db.session.commit()
        for n in range(60):
            _register(n, event, given_names=f"Người {n}" if n % 2 else f"Delegate {n}")
        event_id = event.id
    client = signed_in(app, Role.ORGANISER)
    url = f"/organiser/events/{event_id}/registrations"
    page = client.get(url)
    assert 'Registrations <span class="muted">(60)' in page.text and "Page 1 of 2" in page.text
    assert "No registrations match" in client.get(url + "?q=nobody-here").text
    assert client.get(url, query_string={"q": "người 59"}).text.count("Người 59") == 1
    assert "(0)" in client.get(url + "?status=waitlisted").text
    with count_queries(app) as few:
        client.get(url + "?status=confirmed&member_state=VN")
    with count_queries(app) as many:
        client.get(url + "?page=2")
    assert few.count == many.count <= 12


def test_csv_and_xlsx_exports_keep_unicode_and_neutralise_formulas(seeded):
    app = seeded
    with app.app_context():
        event = open_registration(make_event())
        db.session.commit()
        _register(1, event, given_names='=HYPERLINK("http://x")', family_name="ဦးမောင်")
        _register(2, event, given_names="สมชาย", family_name="ใจดี")
        _register(3, event, given_names="Ann;=cmd|' /C calc'!A0", family_name="Lee, -2+3")
        event_id = event.id
    client = signed_in(app, Role.ORGANISER)
    data = client.get(f"/organiser/events/{event_id}/registrations.csv").data
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    names = {(r["given_names"], r["family_name"]) for r in rows}
    assert ("สมชาย", "ใจดี") in names
    assert ('\'=HYPERLINK("http://x")', "ဦးမောင်") in names
    # Read as Excel does where ";" separates cells: no cell starts a formula.
    assert ("Ann;'=cmd|' /C calc'!A0", "Lee, '-2+3") in names
    for line in text.splitlines():
        for cell in line.split(";"):
            assert not cell.lstrip(' "').startswith(("=", "+", "-", "@")), cell
    assert all(line.startswith('"') for line in text.splitlines())
    xlsx = client.get(f"/organiser/events/{event_id}/registrations.xlsx").data
    sheet = load_workbook(io.BytesIO(xlsx)).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "ใจดี" in values and '\'=HYPERLINK("http://x")' in values


def test_an_officer_claim_is_confirmed_only_by_the_officers_own_address(seeded):
    """Anyone may pick an officer's name on the form; the officer hears of it, and organisers
    see the claim as unconfirmed unless the registration verified the officer's address."""
    app = seeded
    with app.app_context():
        event = open_registration(make_event())
        db.session.commit()
        chung = db.session.scalars(
            sa.select(Officer).where(Officer.name == "Nguyen Duc Chung")
        ).one()
        chung.email = "chung@hanoi.gov.vn"
        db.session.commit()
        city_id, officer_id, event_id = chung.city_id, chung.id, event.id
        stranger = _register(1, event, city_id=city_id, officer_id=officer_id)
        notices = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.template == "organiser/officer_notice")
        ).all()
        assert [m.recipient_emails for m in notices] == [["chung@hanoi.gov.vn"]]
        assert not db.session.get(Registration, stranger).officer_confirmed
    client = signed_in(app, Role.ORGANISER)
    overview = client.get(f"/organiser/delegations?event={event_id}").text
    assert "claimed, unconfirmed" in overview
    listing = client.get(f"/organiser/events/{event_id}/registrations").text
    assert "claims officer" in listing and '<span class="badge">officer</span>' not in listing
    detail = client.get(f"/organiser/events/{event_id}/registrations/{stranger}").text
    assert "unconfirmed claim" in detail

    with app.app_context():
        own = _register(
            2, db.session.get(type(event), event_id), city_id=city_id, officer_id=officer_id,
            email="Chung@Hanoi.gov.vn",
        )  # fmt: skip
        assert db.session.get(Registration, own).officer_confirmed
        assert (
            db.session.scalar(  # the officer is not told of their own registration
                sa.select(sa.func.count()).where(
                    OutboxMessage.template == "organiser/officer_notice"
                )
            )
            == 1
        )
    overview = client.get(f"/organiser/delegations?event={event_id}").text
    assert "Nguyen Duc Chung ✔" in overview
    listing = client.get(f"/organiser/events/{event_id}/registrations").text
    assert '<span class="badge">officer</span>' in listing


def test_delegation_overview_shows_every_city_in_a_fixed_number_of_queries(seeded):
    app = seeded
    with app.app_context():
        event = open_registration(make_event())
        db.session.commit()
        _register(1, event)
        event_id = event.id
    client = signed_in(app, Role.ORGANISER)
    with count_queries(app) as counter:
        page = client.get(f"/organiser/delegations?event={event_id}")
    assert "25 have none" in page.text and page.text.count("no-delegation") == 25
    assert counter.count <= 10
    with app.app_context():
        _register(
            2,
            db.session.get(type(event), event_id),
            city_id=db.session.scalar(sa.select(PilotCity.id).where(PilotCity.slug == "bangkok")),
        )
    with count_queries(app) as again:
        page = client.get(f"/organiser/delegations?event={event_id}")
    assert "24 have none" in page.text and again.count == counter.count


def test_officer_contact_details_are_editable(seeded):
    app = seeded
    with app.app_context():
        officer_id = db.session.scalars(sa.select(Officer.id)).first()
    client = signed_in(app, Role.ORGANISER)
    url = f"/organiser/officers/{officer_id}"
    token = csrf_from(client, url)
    response = client.post(
        url, data={"csrf_token": token, "email": "CSCO@example.org", "phone": "+84 24 1234"}
    )
    assert response.status_code == 303
    with app.app_context():
        officer = db.session.get(Officer, officer_id)
        assert (officer.email, officer.phone) == ("csco@example.org", "+84 24 1234")


def test_check_in_by_code_twice_says_so_and_by_name(seeded):
    app = seeded
    with app.app_context():
        event = open_registration(make_event())
        make_session(event)
        db.session.commit()
        rid = _register(1, event)
        other = _register(2, event, given_names="Somchai")
        code = checkin_code(db.session.get(CheckinPass, rid))
        event_id = event.id
    client = signed_in(app, Role.CHECKIN)
    url = f"/organiser/checkin/{event_id}"
    token = csrf_from(client, url)
    first = client.post(url, data={"csrf_token": token, "code": code.lower().replace("-", " ")})
    assert "✔ Checked in" in first.text and "Delegate 1" in first.text
    again = client.post(url, data={"csrf_token": token, "code": code})
    assert "Already checked in" in again.text
    with app.app_context():  # the desk reads the event's clock (Jakarta), not UTC
        assert db.session.get(Event, event_id).timezone == "Asia/Jakarta"
        checked_in_at = db.session.get(CheckinPass, rid).checked_in_at
    arrived = checked_in_at.astimezone(ZoneInfo("Asia/Jakarta"))
    assert f"at {arrived:%H:%M} WIB, {arrived.day} {arrived:%b} by" in again.text
    assert f"in since {arrived:%H:%M} WIB" in client.get(url + "?q=delegate").text
    unknown = client.post(url, data={"csrf_token": token, "code": "AMF-AAAA-BBBB-CCCC"})
    assert unknown.status_code == 422 and "not recognised" in unknown.text
    found = client.get(url + "?q=somchai")
    assert "Somchai" in found.text
    by_name = client.post(url, data={"csrf_token": token, "registration_id": str(other)})
    assert "✔ Checked in" in by_name.text
    assert "<td>Hanoi</td><td>2</td><td>2</td>" in by_name.text.replace("\n", "")


def test_manage_page_shows_the_qr_code_and_badges_print(seeded):
    from amf.registration.services import manage_token

    app = seeded
    with app.app_context():
        event = open_registration(make_event())
        db.session.commit()
        rid = _register(1, event, position="Deputy Mayor")
        token = manage_token(db.session.get(Registration, rid))
        event_id = event.id
    page = app.test_client().get(f"/registrations/{token}")
    assert "Your check-in code" in page.text
    # Scalable: a viewBox and no fixed size, so the page's CSS sets how big it is drawn.
    [svg] = re.findall(r"<svg [^>]*>", page.text.split("Your check-in code")[1])[:1]
    assert "viewBox=" in svg and "width=" not in svg
    badges = signed_in(app, Role.ORGANISER).get(f"/organiser/checkin/{event_id}/badges")
    assert "Deputy Mayor" in badges.text and "Hanoi" in badges.text and "Viet Nam" in badges.text


def test_outbox_lists_failed_messages_and_retries_one(app):
    from amf.mail.models import OutboxMessage, OutboxStatus
    from amf.mail.services import queue_message

    with app.app_context():
        message = queue_message("x@example.org", "Hello", "Body")
        db.session.flush()
        message.status, message.last_error = OutboxStatus.FAILED, "550 mailbox <unknown>"
        db.session.info.pop("amf_outbox_pending", None)
        db.session.commit()
        message_id = message.id
    client = signed_in(app, Role.ORGANISER)
    page = client.get("/organiser/outbox?status=failed")
    assert "550 mailbox &lt;unknown&gt;" in page.text
    app.config["AMF_MAIL_SEND_AFTER_COMMIT"] = False
    client.post(
        f"/organiser/outbox/{message_id}/retry",
        data={"csrf_token": csrf_from(client, "/organiser/outbox")},
    )
    with app.app_context():
        assert db.session.get(OutboxMessage, message_id).status == OutboxStatus.QUEUED


def test_dashboard_draws_its_charts_inline(seeded):
    app = seeded
    with app.app_context():
        event = open_registration(make_event())
        make_session(event, title="Workshop", takes_signups=True, capacity=10)
        db.session.commit()
        _register(1, event, session_ids=[event.sessions[0].id])
        event_id = event.id
    page = signed_in(app, Role.ORGANISER).get(f"/organiser/events/{event_id}/")
    assert page.status_code == 200
    assert page.text.count("<svg") >= 3 and "<script" not in page.text
    assert "Viet Nam" in page.text and "10%" in page.text


def test_registrations_chart_draws_a_line_even_for_a_single_day():
    from datetime import date

    from amf.organiser.charts import cumulative_line

    one_day = str(cumulative_line([(date(2026, 11, 22), 7)]))
    [points] = re.findall(r'<polyline points="([^"]+)"', one_day)
    (x0, y0), (x1, y1) = (tuple(map(float, p.split(","))) for p in points.split())
    assert x1 > x0 and y1 < y0  # from 0 on the day before up to 7
    assert "Registrations over time: 7 by 2026-11-22" in one_day
    several = str(cumulative_line([(date(2026, 11, 20), 2), (date(2026, 11, 22), 3)]))
    assert len(re.findall(r'<polyline points="([^"]+)"', several)[0].split()) == 3


def test_organiser_corrects_approved_details_the_delegate_no_longer_can(smtp_app, seeded):
    from amf.audit.models import AuditEntry
    from amf.registration.services import manage_token

    app = smtp_app
    with app.app_context():
        event = open_registration(make_event(), requires_approval=True)
        db.session.commit()
        rid, event_id = _register(1, event), event.id
    client = signed_in(app, Role.ORGANISER)
    url = f"/organiser/events/{event_id}/registrations/{rid}"
    token = csrf_from(client, url)
    assert client.post(f"{url}/approve", data={"csrf_token": token}).status_code == 303
    page = client.get(url).text
    assert "cannot change these themselves now that you approved them" in page
    with app.app_context():
        hanoi = db.session.scalar(sa.select(PilotCity.id).where(PilotCity.slug == "hanoi"))
    form = {
        "csrf_token": token,
        "given_names": "Đức Chung",  # was misspelt "Delegate 1"
        "family_name": "Nguyễn",
        "category": "head_of_city",
        "city": str(hanoi),
        "officer_id": "",
    }
    assert client.post(f"{url}/details", data={**form, "given_names": ""}).status_code == 422
    saved = client.post(f"{url}/details", data=form)
    assert saved.status_code == 303
    assert "Details corrected." in client.get(saved.headers["Location"]).text
    with app.app_context():
        registration = db.session.get(Registration, rid)
        assert (registration.given_names, registration.category.value) == (
            "Đức Chung",
            "head_of_city",
        )
        assert registration.history[-1].actor == "organiser@amf.test"
        assert "given names" in registration.history[-1].detail
        assert db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "registration details corrected")
        )
        manage = manage_token(registration)
    # The delegate still cannot change them back.
    own = app.test_client().get(f"/registrations/{manage}").text
    assert "approved your registration with your name" in own
