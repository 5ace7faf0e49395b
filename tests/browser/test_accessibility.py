"""axe-core finds no serious or critical violation on the public and the delegate's pages."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from amf.cities.models import PilotCity
from amf.events.demo import load_amf2022
from amf.events.models import AgendaSession, Event, Speaker
from amf.extensions import db
from amf.registration.models import DelegateCategory
from amf.registration.services import (
    DelegateDetails,
    manage_token,
    submit_registration,
    verify_registration,
)
from amf.registration.tokens import make_verification_token
from browser.support import Axe, expect

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}


def _pages_to_check(app) -> dict[str, str]:
    """Every public page kind, the registration form and a confirmed delegate's manage page."""
    with app.app_context():
        load_amf2022()
        event = db.session.scalars(sa.select(Event).where(Event.slug == "amf-practice")).one()
        session_id = db.session.scalars(
            sa.select(AgendaSession.id)
            .where(AgendaSession.event_id == event.id)
            .order_by(AgendaSession.starts_at, AgendaSession.id)
        ).first()
        workshop_id = db.session.scalars(
            sa.select(AgendaSession.id).where(
                AgendaSession.event_id == event.id, AgendaSession.takes_signups
            )
        ).first()
        speaker_id = db.session.scalars(
            sa.select(Speaker.id).where(Speaker.event_id == event.id).order_by(Speaker.id)
        ).first()
        city_slug = db.session.scalars(sa.select(PilotCity.slug).order_by(PilotCity.id)).first()
        registration = submit_registration(
            event,
            DelegateDetails(
                given_names="Nguyen",
                family_name="Thi Lan",
                email="lan.nguyen@danang.example",
                category=DelegateCategory.CITY_OFFICIAL,
                other_organisation="Da Nang Innovation Centre",
                other_country="Viet Nam",
                session_ids=[workshop_id],
            ),
        )
        verify_registration(
            make_verification_token(registration.id, registration.email, registration.manage_nonce)
        )
        token = manage_token(registration)
        db.session.remove()
    base = "/events/amf-practice"
    return {
        "home": "/",
        "event": f"{base}/",
        "agenda": f"{base}/agenda",
        "session": f"{base}/sessions/{session_id}",
        "speakers": f"{base}/speakers/",
        "speaker": f"{base}/speakers/{speaker_id}",
        "cities": "/cities/",
        "city": f"/cities/{city_slug}",
        "privacy": "/privacy",
        "register": f"{base}/register",
        "manage": f"/registrations/{token}",
    }


def _blocking_violations(page) -> list[dict]:
    results = Axe().run(page)
    return [v for v in results.response["violations"] if v["impact"] in BLOCKING]


def _describe(violations: dict[str, list[dict]]) -> str:
    lines = []
    for name, found in violations.items():
        for violation in found:
            targets = [node["target"] for node in violation["nodes"]][:5]
            lines.append(
                f"{name}: [{violation['impact']}] {violation['id']}: {violation['help']} "
                f"at {json.dumps(targets)}"
            )
    return "\n".join(lines)


def test_public_and_delegate_pages_have_no_serious_accessibility_violations(
    live_server, open_page, screenshots
):
    pages = _pages_to_check(live_server.app)
    page = open_page("desktop")
    violations: dict[str, list[dict]] = {}

    for name, path in pages.items():
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, f"{name}: {path}"
        screenshots.take(page, name)
        violations[name] = _blocking_violations(page)

    page.goto(live_server.url + pages["register"])
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct these:")
    screenshots.take(page, "register-with-errors")
    violations["register with errors"] = _blocking_violations(page)

    found = {name: v for name, v in violations.items() if v}
    assert not found, "axe-core found serious or critical violations:\n" + _describe(found)
    assert page.problems == [], "\n".join(page.problems)
