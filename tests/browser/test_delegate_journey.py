"""A delegate registers, confirms by email, edits and cancels, on a phone and a desktop."""

from __future__ import annotations

import re

import pytest

from browser.support import expect, link_in, wait_for_message

pytestmark = pytest.mark.browser

EMAIL = "siti.rahma@makassar.example"


def _to(address: str, subject_start: str):
    def matches(message) -> bool:
        return message["To"].addresses[0].addr_spec == address and message["Subject"].startswith(
            subject_start
        )

    return matches


def _no_browser_problems(page) -> None:
    """No script error and no resource or policy violation reported in the console."""
    assert page.problems == [], "\n".join(page.problems)


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_delegate_registers_confirms_edits_and_cancels(
    viewport, live_server, open_page, screenshots
):
    page = open_page(viewport)
    shot = screenshots.take

    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shot(page, "home")

    page.get_by_role("link", name="AMF practice forum (demo)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("AMF practice forum (demo)")
    shot(page, "event-page")

    page.get_by_role("link", name="See the agenda").click()
    expect(page).to_have_url(re.compile(r"/events/amf-practice/agenda$"))
    expect(page.get_by_role("heading", name=re.compile(r"^Day 1 · "))).to_be_visible()
    shot(page, "agenda")

    page.get_by_role("navigation", name="AMF practice").get_by_role("link", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Register for AMF practice forum (demo)"
    )
    shot(page, "register-form")

    page.get_by_label("Honorific").fill("Ms")
    page.get_by_label("Given name(s)").fill("Siti")
    page.get_by_label("Family name").fill("Rahma")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Position").fill("Head of Digital Services")
    page.get_by_label("Delegate category").select_option(label="City official")
    page.get_by_label("Representing").select_option(label="Makassar")
    expect(page.locator("#officer-choice")).to_be_visible()
    page.get_by_label("Digital public services and open data").check()
    page.get_by_role("button", name="Register").click()

    errors = page.get_by_role("alert")
    expect(errors).to_contain_text("Registration needs your agreement to the privacy notice.")
    expect(page.get_by_label("Given name(s)")).to_have_value("Siti")
    assert live_server.smtp.received == []
    shot(page, "validation-error")

    page.get_by_label(re.compile(r"^I agree that AMF Events stores")).check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_text(EMAIL)).to_be_visible()
    shot(page, "check-email")

    verification = wait_for_message(live_server.smtp, _to(EMAIL, "Please confirm your email"))
    verify_url = link_in(verification, live_server.url, r"/registrations/verify/[^/]+")
    page.goto(verify_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("You are registered")
    shot(page, "confirmed")

    confirmation = wait_for_message(live_server.smtp, _to(EMAIL, "Registration confirmed"))
    manage_url = link_in(confirmation, live_server.url, r"/registrations/[A-Za-z0-9_-]{20,}")
    page.goto(manage_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your registration")
    expect(page.locator(".status")).to_have_text("Confirmed")
    expect(page.get_by_role("link", name="Digital public services and open data")).to_be_visible()
    calendar = page.get_by_role("region", name="Your calendar")
    expect(calendar.get_by_role("link", name=re.compile("^Subscribe"))).to_have_attribute(
        "href", re.compile(r"^webcal://127\.0\.0\.1:\d+/")
    )
    expect(calendar.get_by_role("link", name="Add to Google Calendar")).to_have_attribute(
        "href", re.compile(r"^https://calendar\.google\.com/")
    )
    expect(calendar.get_by_role("link", name="Add to Outlook.com")).to_have_attribute(
        "href", re.compile(r"^https://outlook\.live\.com/")
    )
    shot(page, "manage")

    details = page.locator("form", has=page.get_by_role("button", name="Save my details"))
    details.get_by_label("Position").fill("Deputy Head of Digital Services")
    details.get_by_role("button", name="Save my details").click()
    expect(page.get_by_role("status").filter(has_text="Your details are saved.")).to_be_visible()
    expect(page.get_by_label("Position")).to_have_value("Deputy Head of Digital Services")
    shot(page, "details-saved")

    cancel = page.get_by_role("region", name="Cancel your registration")
    # A mistake far down the page is shown where it is, not above the fold.
    cancel.get_by_role("button", name="Cancel my registration").click()
    expect(page.locator("#form-errors")).to_be_in_viewport()
    shot(page, "cancel-not-ticked")
    cancel.get_by_label("Yes, cancel my registration and release my seat").check()
    shot(page, "cancel-ticked")
    cancel.get_by_role("button", name="Cancel my registration").click()
    expect(
        page.get_by_role("status").filter(has_text="Your registration is cancelled.")
    ).to_be_visible()
    expect(page.locator(".status")).to_have_text("Cancelled")
    expect(page.get_by_role("button", name="Cancel my registration")).to_have_count(0)
    shot(page, "cancelled")

    wait_for_message(live_server.smtp, _to(EMAIL, "Registration cancelled"))
    _no_browser_problems(page)


def test_the_city_map_stays_legible_on_a_phone(live_server, open_page, screenshots):
    """The map scrolls sideways at a readable size instead of shrinking its labels to 5 px."""
    page = open_page("phone")
    page.goto(live_server.url + "/cities/")
    sizes = page.evaluate(
        """() => {
            const box = document.querySelector('.city-map-scroll');
            const label = document.querySelector('.city-map .city text');
            return {
                map: document.querySelector('.city-map').getBoundingClientRect().width,
                scrolls: box.scrollWidth > box.clientWidth,
                label: label.getBoundingClientRect().height,
                page: document.documentElement.scrollWidth,
                viewport: window.innerWidth,
            };
        }"""
    )
    screenshots.take(page, "city-map-phone")
    assert sizes["map"] >= 640 and sizes["scrolls"]
    assert sizes["label"] >= 9  # 11 px type, not scaled down to half
    assert sizes["page"] <= sizes["viewport"]  # only the map scrolls, not the page
    _no_browser_problems(page)
