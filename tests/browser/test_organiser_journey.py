"""An organiser signs in, books a clashing session, unpublishes and republishes, checks in."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from amf.accounts.models import Role
from amf.accounts.services import create_user
from amf.events.models import AgendaSession, Event
from amf.extensions import db
from amf.registration.models import DelegateCategory, RegistrationStatus
from amf.registration.passes import CheckinPass, checkin_code
from amf.registration.services import DelegateDetails, submit_registration, verify_registration
from amf.registration.tokens import make_verification_token
from amf.timezones import to_local
from browser.support import expect

pytestmark = pytest.mark.browser

ORGANISER_EMAIL = "secretariat@amf.example"
ORGANISER_PASSWORD = "correct horse battery staple"
CLASH_TITLE = "Press briefing on the Makassar declaration"


@dataclass(frozen=True)
class Booked:
    """An existing session whose room and time the organiser books again."""

    title: str
    day: str
    start: str
    end: str
    room_id: int
    room_name: str


def _prepare(app) -> tuple[Booked, str, str]:
    """An admin account, a confirmed delegate (name, check-in code), and a booked session."""
    with app.app_context():
        create_user(ORGANISER_EMAIL, ORGANISER_PASSWORD, Role.ADMIN, "Secretariat")
        event = db.session.scalars(sa.select(Event).where(Event.slug == "amf-practice")).one()
        registration = submit_registration(
            event,
            DelegateDetails(
                given_names="Arief",
                family_name="Wibowo",
                email="arief.wibowo@banyuwangi.example",
                category=DelegateCategory.CITY_OFFICIAL,
                other_organisation="Banyuwangi Regency",
                other_country="Indonesia",
            ),
        )
        verified = verify_registration(
            make_verification_token(registration.id, registration.email, registration.manage_nonce)
        )
        assert verified.registration.status == RegistrationStatus.CONFIRMED
        code = checkin_code(db.session.get(CheckinPass, registration.id))
        session = db.session.scalars(
            sa.select(AgendaSession)
            .where(AgendaSession.event_id == event.id, AgendaSession.room_id.is_not(None))
            .order_by(AgendaSession.starts_at, AgendaSession.id)
        ).first()
        start, end = (to_local(t, event.timezone) for t in (session.starts_at, session.ends_at))
        booked = Booked(
            session.title,
            start.date().isoformat(),
            f"{start:%H:%M}",
            f"{end:%H:%M}",
            session.room_id,
            session.room.name,
        )
        db.session.remove()
    return booked, "Arief Wibowo", code


def test_organiser_books_a_clash_republishes_and_checks_a_delegate_in(
    live_server, open_page, screenshots
):
    booked, delegate_name, code = _prepare(live_server.app)
    page = open_page("desktop")
    shot = screenshots.take

    page.goto(live_server.url + "/organiser/login")
    page.get_by_label("Email").fill(ORGANISER_EMAIL)
    page.get_by_label("Password").fill(ORGANISER_PASSWORD)
    shot(page, "login")
    page.get_by_role("button", name="Sign in").click()
    row = page.get_by_role("row").filter(has_text="AMF practice forum (demo)")
    expect(row).to_be_visible()
    shot(page, "organiser-home")

    row.get_by_role("link", name="Agenda").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Agenda")
    expect(
        page.get_by_text("No conflicts: no room or speaker is booked twice at once.")
    ).to_be_visible()
    shot(page, "agenda-without-conflicts")

    page.get_by_role("link", name="New session").click()
    page.get_by_label("Title").fill(CLASH_TITLE)
    page.get_by_label("Day").select_option(booked.day)
    page.get_by_label("Starts").fill(booked.start)
    page.get_by_label("Ends").fill(booked.end)
    page.get_by_label("Room").select_option(str(booked.room_id))
    shot(page, "clashing-session-form")
    page.get_by_role("button", name="Save session").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(CLASH_TITLE)
    warning = f"overlap and are both in {booked.room_name}"
    expect(page.locator(".flash-warning")).to_contain_text(f"Conflict: “{booked.title}” and")
    expect(page.locator(".flash-warning")).to_contain_text(warning)
    expect(page.locator(".notice-warning")).to_contain_text("1 conflict")
    shot(page, "conflict-warning")

    page.get_by_role("link", name="Agenda", exact=True).first.click()
    expect(page.locator(".notice-warning")).to_contain_text(warning)
    expect(page.locator(".agenda-item.is-conflict")).to_have_count(2)
    shot(page, "agenda-with-conflict")

    public = open_page("desktop")
    event_url = live_server.url + "/events/amf-practice/"
    page.goto(live_server.url + "/organiser/")
    page.get_by_role("row").filter(has_text="AMF practice forum (demo)").get_by_role(
        "link", name="Details"
    ).click()
    expect(page.get_by_role("heading", name="Status: published")).to_be_visible()
    page.get_by_role("button", name="Unpublish (back to draft)").click()
    expect(page.get_by_role("heading", name="Status: draft")).to_be_visible()
    expect(page.get_by_text("The event is now draft.")).to_be_visible()
    shot(page, "unpublished")
    assert public.goto(event_url).status == 404

    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", name="Status: published")).to_be_visible()
    shot(page, "published")
    assert public.goto(event_url + "agenda").status == 200
    expect(public.get_by_role("link", name=CLASH_TITLE)).to_be_visible()
    shot(public, "public-agenda-shows-new-session")

    page.get_by_role("navigation").get_by_role("link", name="Check-in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check-in")
    page.get_by_label("Scan or type the check-in code").fill(code.lower().replace("-", " "))
    shot(page, "checkin-code-typed")
    page.get_by_role("button", name="Check in", exact=True).click()
    result = page.get_by_role("alert")
    expect(result).to_contain_text("✔ Checked in")
    expect(result).to_contain_text(delegate_name)
    expect(page.get_by_role("row", name="Total 1 1")).to_be_visible()
    shot(page, "checked-in")

    page.get_by_label("Or find by name, email or reference").fill("Wibowo")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".checkin-found")).to_contain_text(f"{delegate_name}")
    expect(page.locator(".checkin-found")).to_contain_text("in since")
    shot(page, "search-shows-arrival")

    for browser_page in (page, public):
        assert browser_page.problems == [], "\n".join(browser_page.problems)
