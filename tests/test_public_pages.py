"""Every public page renders; drafts stay hidden; unknown things give our 404 page."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from builders import make_event, make_session

from amf.events.models import AgendaSession, Event, EventStatus, Speaker
from amf.extensions import db


def _ids(app):
    with app.app_context():
        session_id = db.session.scalars(sa.select(AgendaSession.id)).first()
        speaker_id = db.session.scalars(
            sa.select(Speaker.id).where(Speaker.officer_id.is_not(None))
        ).first()
    return session_id, speaker_id


def test_every_public_page_renders(demo, client):
    session_id, speaker_id = _ids(demo)
    pages = {
        "/": "ASEAN Mayors Forum 2022",
        "/events/amf-2022/": "Achieving Smart, Resilience and Sustainable Urbanisation",
        "/events/amf-2022/agenda": "Opening ceremony",
        f"/events/amf-2022/sessions/{session_id}": "Registration and welcome coffee",
        "/events/amf-2022/speakers/": "Tantinny Fung Chew Li",
        f"/events/amf-2022/speakers/{speaker_id}": "Sessions",
        "/cities/": "Nguyen Duc Chung",
        "/cities/kota-kinabalu": "Tantinny Fung Chew Li",
    }
    for url, text in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.content_type == "text/html; charset=utf-8"
        assert text in response.text, url
        assert '<main id="content"' in response.text
        assert "https://" not in re.sub(r'href="https://[^"]*"', "", response.text).replace(
            'xmlns="http://www.w3.org/2000/svg"', ""
        ), f"{url} loads something from outside"


def test_event_page_states_theme_dates_venue_and_organiser(demo, client):
    text = client.get("/events/amf-2022/").text
    assert "6–7 October 2022" in text
    assert "Surabaya<br>Surabaya, East Java, Indonesia" not in text  # said once, not twice
    assert "<dd>Surabaya, East Java, Indonesia</dd>" in text
    assert "UCLG ASPAC" in text
    assert "Asia/Jakarta (WIB, UTC+07:00)" in text
    assert "Registration closed on Wednesday 5 October 2022" in text


def test_home_lists_past_and_upcoming_events(demo, client):
    with demo.app_context():
        make_event(slug="amf-2031", title="ASEAN Mayors Forum 2031")
        db.session.commit()
    text = client.get("/").text
    upcoming, past = text.split('id="past-heading"')
    assert "ASEAN Mayors Forum 2031" in upcoming and "ASEAN Mayors Forum 2022" in past


def test_city_page_shows_both_designation_lines(seeded, client):
    text = client.get("/cities/yangon").text
    assert "Tin Tin Kyi" in text
    assert (
        "Director of Urban Planning Division<br>Representative, Yangon City Development Committee"
        in text
    )
    assert "Myanmar" in text and "Asia/Yangon" in text


def test_city_directory_groups_by_member_state_with_a_map(seeded, client):
    text = client.get("/cities/").text
    assert text.count('<a href="/cities/') >= 26 * 2
    assert '<svg class="city-map"' in text and 'role="group"' in text
    headings = re.findall(r'<h2 id="state-[a-z]{2}">([^<]+)</h2>', text)
    assert headings[0] == "Brunei Darussalam" and headings[-1] == "Viet Nam" and len(headings) == 10


def test_draft_events_are_invisible(seeded, client):
    with seeded.app_context():
        event = make_event(slug="secret-draft", status=EventStatus.DRAFT, title="Secret draft")
        session = make_session(event)
        db.session.commit()
        session_id = session.id
    for url in [
        "/events/secret-draft/",
        "/events/secret-draft/agenda",
        f"/events/secret-draft/sessions/{session_id}",
        "/events/secret-draft/speakers/",
    ]:
        assert client.get(url).status_code == 404, url
    assert "Secret draft" not in client.get("/").text


def test_cancelled_event_stays_visible_and_says_so(seeded, client):
    with seeded.app_context():
        make_event(slug="called-off", status=EventStatus.CANCELLED)
        db.session.commit()
    response = client.get("/events/called-off/")
    assert response.status_code == 200 and "This event has been cancelled." in response.text


@pytest.mark.parametrize(
    "url",
    [
        "/events/no-such-event/",
        "/events/amf-2022/sessions/999999",
        "/events/amf-2022/speakers/999999",
        "/cities/atlantis",
        "/events/amf-2022/sessions/not-a-number",
        "/events/..%2f..%2fetc%2fpasswd/",
    ],
)
def test_unknown_things_get_our_404_page(demo, client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.text and "Go to the list of events" in response.text


def test_session_of_another_event_is_not_found_under_this_one(demo, client):
    with demo.app_context():
        other = make_event(slug="other")
        session_id = make_session(other).id
        db.session.commit()
    assert client.get(f"/events/amf-2022/sessions/{session_id}").status_code == 404
    assert client.get(f"/events/other/sessions/{session_id}").status_code == 200


def _times_of(html: str, title: str) -> str:
    item = html[html.index(title) :]
    return item[: item.index("</p>")]


def test_agenda_shows_times_in_event_zone_and_in_a_chosen_city(seeded, client):
    with seeded.app_context():
        event = make_event(slug="tz-forum")
        make_session(event, "09:00", "10:30", title="Morning plenary")
        db.session.commit()
    html = client.get("/events/tz-forum/agenda").text
    assert "09:00–10:30 WIB" in _times_of(html, "Morning plenary")
    yangon = client.get("/events/tz-forum/agenda?tz=Asia/Yangon").text
    # Yangon is UTC+06:30, half an hour behind Jakarta's UTC+07:00.
    assert "(08:30–10:00 UTC+06:30)" in _times_of(yangon, "Morning plenary")
    manila = client.get("/events/tz-forum/agenda?tz=Asia/Manila").text
    assert "(10:00–11:30 PST)" in _times_of(manila, "Morning plenary")
    assert '<option value="Asia/Manila" selected>' in manila
    assert "Cebu City, Davao City, Manila (UTC+08:00)" in manila


def test_agenda_ignores_an_unknown_time_zone_with_a_message(demo, client):
    response = client.get("/events/amf-2022/agenda?tz=Mars/Olympus_Mons<script>")
    assert response.status_code == 200
    assert "is not a time zone we know" in response.text
    assert "<script>" not in response.text and "&lt;script&gt;" in response.text


def test_agenda_lists_rooms_tracks_and_speakers_by_day(demo, client):
    html = client.get("/events/amf-2022/agenda").text
    assert "Day 1 · Thursday 6 October 2022" in html and "Day 2 · Friday 7 October 2022" in html
    assert html.index("Day 1") < html.index("Opening ceremony") < html.index("Day 2")
    assert "Room Bromo" in html and "Resilience and Sustainability" in html
    assert "Dian Ekowati" in html


def test_event_text_is_escaped(seeded, client):
    with seeded.app_context():
        event = make_event(slug="xss", title="<script>alert(1)</script>")
        make_session(event, title="<img src=x onerror=alert(1)>")
        db.session.commit()
    for url in ["/events/xss/", "/events/xss/agenda", "/"]:
        text = client.get(url).text
        assert "<script>alert(1)" not in text and "<img src=x" not in text
        assert "&lt;script&gt;" in text or "&lt;img" in text


@pytest.mark.parametrize(
    ("name", "address", "city", "country", "expected"),
    [
        (
            "Surabaya",
            "Surabaya, East Java, Indonesia",
            "Surabaya",
            "Indonesia",
            ["Surabaya, East Java, Indonesia"],
        ),
        (
            "Grand City Convex",
            "Jl. Walikota Mustajab 1",
            "Surabaya",
            "Indonesia",
            ["Grand City Convex", "Jl. Walikota Mustajab 1", "Surabaya, Indonesia"],
        ),
        ("Hall A", "Hall A", "", "", ["Hall A"]),
        ("Hall A", "", "", "", ["Hall A"]),
    ],
)
def test_venue_lines_say_each_thing_once(name, address, city, country, expected):
    event = Event(venue_name=name, venue_address=address, host_city_name=city, host_country=country)
    assert event.venue_lines == expected


def test_event_model_lists_its_days(seeded):
    with seeded.app_context():
        event = make_event(slug="three-days")
        event.last_day = event.first_day.replace(day=event.first_day.day + 2)
        db.session.flush()
        assert len(db.session.get(Event, event.id).days) == 3
