"""A delegate's whole journey through the web pages, with mail read from a real SMTP server."""

from __future__ import annotations

import os
import re
import shutil
from email.message import EmailMessage

import icalendar
import pytest
import redis
import sqlalchemy as sa
from builders import make_event, make_session, open_registration
from conftest import opened_app
from live_processes import private_redis

from amf.cities.models import Officer, PilotCity
from amf.extensions import db
from amf.registration.models import Registration

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, url
    return CSRF.search(page.text).group(1)


def form_for(app, n: int = 1, **fields) -> dict:
    """A complete, valid registration form for a Hanoi delegate."""
    with app.app_context():
        hanoi = db.session.scalar(sa.select(PilotCity.id).where(PilotCity.slug == "hanoi"))
    data = {
        "honorific": "Mr",
        "given_names": "Đức Chung",
        "family_name": "Nguyễn",
        "email": f"delegate{n}@example.org",
        "phone": "+84 24 3825 3536",
        "position": "Deputy Director",
        "organisation": "Hanoi People's Committee",
        "category": "city_official",
        "city": str(hanoi),
        "officer_id": "",
        "consent_privacy": "y",
    }
    data.update(fields)
    return data


def post_registration(client, slug: str, data: dict):
    url = f"/events/{slug}/register"
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def links_in(message: EmailMessage) -> list[str]:
    body = message.get_body(("plain",)).get_content()
    return re.findall(r"http://amf\.test(/\S+)", body)


def mail_for(smtp_server, address: str) -> list[EmailMessage]:
    return [r.message for r in smtp_server.received if address in r.rcpt_tos]


@pytest.fixture
def event(smtp_app, seeded):
    with smtp_app.app_context():
        event = open_registration(
            make_event(slug="amf-2031", title="ASEAN Mayors Forum 2031"), capacity=1
        )
        make_session(event, title="Smart mobility workshop", takes_signups=True, capacity=1)
        db.session.commit()
        return event.slug


def test_register_verify_manage_and_cancel(smtp_app, smtp_server, client, event):
    response = post_registration(client, event, form_for(smtp_app))
    assert response.status_code == 303
    check = client.get(response.headers["Location"])
    assert "delegate1@example.org" in check.text and "Check your email" in check.text

    (verification,) = mail_for(smtp_server, "delegate1@example.org")
    assert verification["Subject"] == "Please confirm your email: ASEAN Mayors Forum 2031"
    assert "Nguyễn" in verification["To"]
    verify_path = next(link for link in links_in(verification) if "/verify/" in link)

    confirmed_page = client.get(verify_path)
    assert confirmed_page.status_code == 200 and "You are registered" in confirmed_page.text

    confirmation = mail_for(smtp_server, "delegate1@example.org")[-1]
    assert confirmation["Subject"] == "Registration confirmed: ASEAN Mayors Forum 2031"
    manage_path = next(link for link in links_in(confirmation) if "/registrations/" in link)
    calendar_parts = [p for p in confirmation.walk() if p.get_content_type() == "text/calendar"]
    assert calendar_parts, "the confirmation carries an invitation"
    invitation = icalendar.Calendar.from_ical(calendar_parts[0].get_content())
    assert invitation["METHOD"] == "REQUEST"
    vevent = invitation.walk("VEVENT")[0]
    assert str(vevent["SUMMARY"]) == "ASEAN Mayors Forum 2031"
    assert str(vevent["ATTENDEE"]) == "mailto:delegate1@example.org"
    text = confirmation.get_body(("plain",)).get_content()
    assert "Asia/Jakarta" in text and "Test venue" in text and "10–11 March 2031" in text

    manage = client.get(manage_path)
    assert manage.status_code == 200
    assert "Confirmed" in manage.text and "Nguyễn" in manage.text
    assert 'name="referrer" content="no-referrer"' in manage.text

    edited = form_for(smtp_app, position="Director", family_name="Nguyễn Văn")
    edited.pop("email")
    edited.pop("consent_privacy")
    edited["csrf_token"] = CSRF.search(manage.text).group(1)
    saved = client.post(f"{manage_path}/details", data=edited)
    assert saved.status_code == 303
    assert "Nguyễn Văn" in client.get(saved.headers["Location"]).text

    cancel_token = CSRF.search(client.get(manage_path).text).group(1)
    refused = client.post(f"{manage_path}/cancel", data={"csrf_token": cancel_token})
    assert refused.status_code == 422 and "Tick the box" in refused.text
    cancelled = client.post(
        f"{manage_path}/cancel", data={"csrf_token": cancel_token, "confirm": "y"}
    )
    assert cancelled.status_code == 303
    assert "Cancelled" in client.get(manage_path).text
    cancellation = mail_for(smtp_server, "delegate1@example.org")[-1]
    assert cancellation["Subject"].startswith("Registration cancelled")
    cancel_ics = next(p for p in cancellation.walk() if p.get_content_type() == "text/calendar")
    assert cancel_ics.get_param("method") == "CANCEL"
    assert str(icalendar.Calendar.from_ical(cancel_ics.get_content())["METHOD"]) == "CANCEL"


def test_cancellation_promotes_the_next_delegate_who_is_emailed(
    smtp_app, smtp_server, client, event
):
    for n in (1, 2):
        post_registration(client, event, form_for(smtp_app, n))
        verification = mail_for(smtp_server, f"delegate{n}@example.org")[-1]
        client.get(next(link for link in links_in(verification) if "/verify/" in link))
    assert mail_for(smtp_server, "delegate2@example.org")[-1]["Subject"].startswith(
        "On the waiting list"
    )
    confirmation = mail_for(smtp_server, "delegate1@example.org")[-1]
    manage_path = next(link for link in links_in(confirmation) if "/registrations/" in link)
    token = CSRF.search(client.get(manage_path).text).group(1)
    client.post(f"{manage_path}/cancel", data={"csrf_token": token, "confirm": "y"})
    promoted = mail_for(smtp_server, "delegate2@example.org")[-1]
    assert promoted["Subject"] == "A seat is yours: ASEAN Mayors Forum 2031"


def test_registering_an_address_again_answers_as_for_a_new_one_and_mails_its_owner(
    smtp_app, smtp_server, client, event
):
    def register(email: str, name: str):
        response = post_registration(
            client, event, form_for(smtp_app, email=email, given_names=name)
        )
        assert response.status_code == 303
        page = client.get(response.headers["Location"]).text
        return response.headers["Location"], page.replace(email, "ADDRESS")

    first = register("delegate1@example.org", "Duc Chung")
    with smtp_app.app_context():
        deadline = db.session.scalar(sa.select(Registration.verify_by))
    # Unverified: the same answer as for an address never seen. Nobody has proved they own
    # the address yet, so the new form (a corrected name) replaces the unverified one, with
    # a new link and a new deadline.
    assert register("delegate1@example.org", "Đức Chung") == first
    assert register("delegate2@example.org", "Somchai") == first
    verify_again = mail_for(smtp_server, "delegate1@example.org")[-1]
    assert verify_again["Subject"] == "Please confirm your email: ASEAN Mayors Forum 2031"
    client.get(next(link for link in links_in(verify_again) if "/verify/" in link))
    with smtp_app.app_context():
        rows = db.session.execute(
            sa.select(Registration.given_names, Registration.verify_by).order_by(Registration.id)
        ).all()
        assert [row.given_names for row in rows] == ["Đức Chung", "Somchai"]
        assert rows[0].verify_by > deadline

    # Confirmed: still the same answer; the owner is told, with their manage link.
    assert register("delegate1@example.org", "Someone else") == first
    note = mail_for(smtp_server, "delegate1@example.org")[-1]
    assert note["Subject"] == "You are already registered: ASEAN Mayors Forum 2031"
    manage = next(link for link in links_in(note) if link.startswith("/registrations/"))
    assert "Đức Chung" in client.get(manage).text

    # Three link emails an hour on request at most (AMF_RESEND_PER_HOUR; two were sent
    # above): a stranger cannot flood the inbox by registering the address over and over.
    received = len(mail_for(smtp_server, "delegate1@example.org"))
    for _ in range(3):
        assert register("delegate1@example.org", "Someone else") == first
    assert len(mail_for(smtp_server, "delegate1@example.org")) == received + 1


def test_a_form_error_reads_the_same_for_a_registered_and_an_unknown_address(
    smtp_app, smtp_server, client, event
):
    """Every check of the form runs before the address is looked up: no error is an oracle."""
    post_registration(client, event, form_for(smtp_app))
    with smtp_app.app_context():
        elsewhere = db.session.scalar(
            sa.select(Officer.id).join(Officer.city).where(PilotCity.slug != "hanoi")
        )
    answers = []
    for address in ("delegate1@example.org", "nobody@example.org"):
        data = form_for(smtp_app, email=address, officer_id=str(elsewhere))
        response = post_registration(client, event, data)
        summary = re.search(r'id="form-errors">(.*?)</div>', response.text, re.S)
        answers.append((response.status_code, summary and summary.group(1)))
    assert answers[0] == answers[1]
    assert answers[0][0] == 422 and "not listed for the chosen city" in answers[0][1]


def test_a_delegate_can_replace_a_forwarded_manage_link(smtp_app, smtp_server, client, event):
    post_registration(client, event, form_for(smtp_app))
    verification = mail_for(smtp_server, "delegate1@example.org")[-1]
    client.get(next(link for link in links_in(verification) if "/verify/" in link))
    confirmation = mail_for(smtp_server, "delegate1@example.org")[-1]
    old = next(link for link in links_in(confirmation) if link.startswith("/registrations/"))
    old_feed = next(link for link in links_in(confirmation) if link.startswith("/calendar/"))
    page = client.get(old).text
    assert "Replace my link" in page and client.get(old_feed).status_code == 200

    replaced = client.post(f"{old}/replace-link", data={"csrf_token": CSRF.search(page).group(1)})
    assert replaced.status_code == 200 and "Your link was replaced" in replaced.text
    assert replaced.headers["Cache-Control"] == "no-store"
    # Whoever it was forwarded to loses the page and the calendar feed the page showed.
    assert client.get(old).status_code == 404 and client.get(old_feed).status_code == 404
    note = mail_for(smtp_server, "delegate1@example.org")[-1]
    assert "has a new link" in note.get_body(("plain",)).get_content()
    new = next(link for link in links_in(note) if link.startswith("/registrations/"))
    new_feed = next(link for link in links_in(note) if link.startswith("/calendar/"))
    assert new != old and client.get(new_feed).status_code == 200
    page = client.get(new).text
    assert "Confirmed" in page

    # Replacing is a link email on request too: three an hour, then a refusal that says so.
    for _ in range(2):
        answer = client.post(f"{new}/replace-link", data={"csrf_token": CSRF.search(page).group(1)})
        assert answer.status_code == 200
        new = next(
            link
            for link in links_in(mail_for(smtp_server, "delegate1@example.org")[-1])
            if link.startswith("/registrations/")
        )
    refused = client.post(f"{new}/replace-link", data={"csrf_token": CSRF.search(page).group(1)})
    assert refused.status_code == 429 and "try again later" in refused.text
    assert client.get(new).status_code == 200  # the refusal changed nothing


def test_resend_link_answers_the_same_for_known_and_unknown_addresses(
    smtp_app, smtp_server, client, event
):
    post_registration(client, event, form_for(smtp_app))
    url = f"/events/{event}/register/resend"
    answers = []
    for address in ("delegate1@example.org", "nobody@example.org"):
        response = client.post(url, data={"email": address, "csrf_token": csrf_token(client, url)})
        answers.append((response.status_code, response.text))
    assert answers[0] == answers[1]
    assert mail_for(smtp_server, "nobody@example.org") == []
    assert mail_for(smtp_server, "delegate1@example.org")[-1]["Subject"].startswith(
        "Your registration link"
    )


def test_validation_errors_keep_what_was_typed(smtp_app, client, event):
    data = form_for(smtp_app, email="not-an-address", given_names="", consent_privacy="")
    data["position"] = "Directrice générale <b>adjointe</b>"
    response = post_registration(client, event, data)
    assert response.status_code == 422
    assert "Enter a valid email address" in response.text
    assert "Enter your given name(s)." in response.text
    assert "needs your agreement to the privacy notice" in response.text
    assert 'value="not-an-address"' in response.text
    assert "Directrice générale &lt;b&gt;adjointe&lt;/b&gt;" in response.text
    assert 'aria-invalid="true"' in response.text


def test_single_name_delegate_and_other_organisation(smtp_app, smtp_server, client, event):
    response = post_registration(
        client,
        event,
        form_for(
            smtp_app,
            given_names="Soeharto",
            family_name="",
            city="other",
            other_organisation="UN-Habitat",
            other_country="Kenya",
        ),
    )
    assert response.status_code == 303
    with smtp_app.app_context():
        registration = db.session.scalars(sa.select(Registration)).one()
        assert registration.full_name == "Soeharto"
        assert registration.represents == "UN-Habitat, Kenya"
    assert (
        "Dear Mr Soeharto"
        in mail_for(smtp_server, "delegate1@example.org")[0].get_body(("plain",)).get_content()
    )


def test_other_organisation_needs_its_name(smtp_app, client, event):
    response = post_registration(client, event, form_for(smtp_app, city="other"))
    assert response.status_code == 422 and "Enter the name of your organisation." in response.text


def test_officer_links_their_registration_to_their_record(smtp_app, client, event):
    with smtp_app.app_context():
        officer = db.session.scalars(
            sa.select(Officer).where(Officer.name == "Tantinny Fung Chew Li")
        ).one()
        officer_id, city_id = officer.id, officer.city_id
    page = client.get(f"/events/{event}/register").text
    assert "I am Tantinny Fung Chew Li" in page and f'data-city="{city_id}"' in page
    response = post_registration(
        client,
        event,
        form_for(
            smtp_app,
            city=str(city_id),
            officer_id=str(officer_id),
            given_names="Tantinny",
            family_name="Fung Chew Li",
            category="csco",
        ),
    )
    assert response.status_code == 303
    with smtp_app.app_context():
        registration = db.session.scalars(sa.select(Registration)).one()
        assert registration.officer_id == officer_id and registration.is_officer


def test_officer_of_another_city_is_refused(smtp_app, client, event):
    with smtp_app.app_context():
        officer_id = db.session.scalar(
            sa.select(Officer.id).where(Officer.name == "Tantinny Fung Chew Li")
        )
    response = post_registration(client, event, form_for(smtp_app, officer_id=str(officer_id)))
    assert response.status_code == 422
    assert "not listed for the chosen city" in response.text


def test_missing_or_wrong_csrf_token_changes_nothing(smtp_app, client, event):
    data = form_for(smtp_app)
    assert client.post(f"/events/{event}/register", data=data).status_code == 400
    data["csrf_token"] = "forged"
    assert client.post(f"/events/{event}/register", data=data).status_code == 400
    with smtp_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/registrations/verify/not-a-token",
        "/registrations/verify/" + "A" * 300,
        "/registrations/verify/eyJyIjo5OTk5OTl9.ZZZZZZ.abcdefghijklmnopqrstuvwxyz",
    ],
)
def test_forged_verification_links_get_a_clear_page(client, event, path):
    response = client.get(path)
    assert response.status_code == 404 and "This link does not work" in response.text


def test_unknown_manage_link_is_not_found(client, event):
    assert client.get("/registrations/" + "x" * 43).status_code == 404
    assert client.post("/registrations/" + "x" * 43 + "/cancel").status_code in (400, 404)


def test_closed_window_says_so_with_the_dates(smtp_app, client, event):
    from datetime import timedelta

    from amf.db import utcnow

    with smtp_app.app_context():
        later = open_registration(make_event(slug="later"))
        later.registration_opens_at = utcnow() + timedelta(days=10)
        db.session.commit()
    page = client.get("/events/later/register")
    assert page.status_code == 200 and "Registration opens on" in page.text
    assert 'name="given_names"' not in page.text
    data = form_for(smtp_app)
    data["csrf_token"] = CSRF.search(client.get("/events/amf-2031/register").text).group(1)
    assert client.post("/events/later/register", data=data).status_code == 200
    with smtp_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


def test_registration_window_is_shown_to_the_minute_on_the_event_clock(smtp_app, client):
    from datetime import UTC, datetime

    with smtp_app.app_context():
        soon = open_registration(make_event(slug="soon"))
        soon.registration_opens_at = datetime(2099, 3, 1, 1, 30, tzinfo=UTC)
        soon.registration_closes_at = datetime(2099, 4, 1, 16, 59, tzinfo=UTC)
        db.session.commit()
    expected = "Sunday 1 March 2099, 08:30 WIB"  # 01:30 UTC in Jakarta
    assert expected in client.get("/events/soon/").text
    form_page = client.get("/events/soon/register").text
    assert expected in form_page and "Wednesday 1 April 2099, 23:59 WIB" in form_page


def test_html_in_fields_is_escaped_in_pages_and_emails(smtp_app, smtp_server, client, event):
    script = "<script>alert('x')</script>"
    response = post_registration(
        client,
        event,
        form_for(smtp_app, given_names=script, organisation=script, listed_publicly="y"),
    )
    assert response.status_code == 303
    verification = mail_for(smtp_server, "delegate1@example.org")[0]
    html = verification.get_body(("html",)).get_content()
    assert script not in html and "&lt;script&gt;" in html
    client.get(next(link for link in links_in(verification) if "/verify/" in link))
    city_page = client.get("/cities/hanoi").text
    assert script not in city_page and "&lt;script&gt;alert" in city_page


def test_listed_delegates_appear_on_their_city_page_only_with_consent(
    smtp_app, smtp_server, client, event
):
    for n, listed in ((1, "y"), (2, "")):
        post_registration(
            client, event, form_for(smtp_app, n, given_names=f"Person{n}", listed_publicly=listed)
        )
        verification = mail_for(smtp_server, f"delegate{n}@example.org")[-1]
        client.get(next(link for link in links_in(verification) if "/verify/" in link))
    page = client.get("/cities/hanoi").text
    assert "Person1" in page and "Person2" not in page
    # What the consent names (name, category, organisation), and nothing more.
    assert "Hanoi People&#39;s Committee" in page and "Deputy Director" not in page
    event_page = client.get(f"/events/{event}/").text
    assert "1 of the 26" in event_page


def test_rate_limit_answers_429_with_a_friendly_page(database_url, tmp_path, seeded, event):
    with opened_app(
        database_url, tmp_path, RATELIMIT_ENABLED=True, AMF_FORM_RATE_LIMIT="2 per minute"
    ) as limited:
        client = limited.test_client()
        responses = [post_registration(client, event, form_for(limited, n)) for n in range(3)]
        assert [r.status_code for r in responses] == [303, 303, 429]
        assert "Too many requests" in responses[2].text
        with limited.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 2


@pytest.fixture
def redis_socket():
    """A private redis-server's Unix socket: no other run counts or flushes there."""
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the Redis test: redis-server is not installed")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with private_redis() as socket_path:
        yield socket_path


def test_rate_limits_are_shared_through_redis(database_url, tmp_path, seeded, event, redis_socket):
    """Two app instances on one Redis count the same client's posts together."""
    settings = dict(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=f"redis+unix://{redis_socket}",
        AMF_FORM_RATE_LIMIT="2 per minute",
    )
    with (
        opened_app(database_url, tmp_path, **settings) as first,
        opened_app(database_url, tmp_path, **settings) as second,
    ):
        codes = [
            post_registration(instance.test_client(), event, form_for(instance, n)).status_code
            for n, instance in enumerate((first, second, first))
        ]
    assert codes == [303, 303, 429]
    with redis.Redis(unix_socket_path=str(redis_socket)) as store:
        assert store.keys("*"), "the counts live in Redis"


def test_manage_page_form_is_prefilled_so_saving_it_unchanged_works(
    smtp_app, smtp_server, client, event
):
    """Submitting the details form exactly as the page renders it must save (it once could not)."""
    from html.parser import HTMLParser

    post_registration(client, event, form_for(smtp_app))
    verification = mail_for(smtp_server, "delegate1@example.org")[-1]
    client.get(next(link for link in links_in(verification) if "/verify/" in link))
    confirmation = mail_for(smtp_server, "delegate1@example.org")[-1]
    manage_path = next(link for link in links_in(confirmation) if "/registrations/" in link)
    page = client.get(manage_path).text
    details_form = page[page.index(f'action="{manage_path}/details#form-errors"') :]
    details_form = details_form[: details_form.index("</form>")]

    class Fields(HTMLParser):
        """What a browser would submit: inputs, checked boxes and radios, selected options."""

        def __init__(self):
            super().__init__()
            self.data, self.select = {}, None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "input" and a.get("name"):
                if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                    return
                self.data[a["name"]] = a.get("value", "y")
            elif tag == "select":
                self.select = a.get("name")
            elif tag == "option" and self.select and "selected" in a:
                self.data[self.select] = a.get("value", "")
            elif tag == "textarea":
                self.data.setdefault(a["name"], "")

    fields = Fields()
    fields.feed(details_form)
    assert fields.data.get("city"), "the delegate's city is pre-selected"
    response = client.post(f"{manage_path}/details", data=fields.data)
    assert response.status_code == 303, response.text[:2000]
