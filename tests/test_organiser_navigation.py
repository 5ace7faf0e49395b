"""Each back-office role sees only links it may follow: none of them leads to a 403."""

from __future__ import annotations

import html
import re
from collections import deque

import pytest
from builders import make_event, make_session, open_registration, verified_registration
from organiser_support import signed_in

from amf.accounts.models import Role
from amf.extensions import db

NAV = re.compile(r'<nav class="(?:organiser-nav|event-nav)".*?</nav>', re.S)
HREF = re.compile(r'href="(/organiser/[^"#]*)"')
MAX_PAGES = 80


def _event_with_a_delegate(app) -> int:
    with app.app_context():
        event = open_registration(make_event())
        make_session(event, takes_signups=True)
        db.session.commit()
        verified_registration(event)
        return event.id


def _nav_links(page: str) -> list[str]:
    return [html.unescape(h) for block in NAV.findall(page) for h in HREF.findall(block)]


def _crawl(client, start: str) -> dict[str, int]:
    """Every back-office page reachable by following links from ``start``, with its status."""
    seen: dict[str, int] = {}
    queue = deque([start])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url, follow_redirects=True)
        seen[url] = response.status_code
        if response.mimetype == "text/html":
            queue.extend(html.unescape(h) for h in HREF.findall(response.text))
    return seen


@pytest.mark.parametrize(
    ("role", "start", "shown", "hidden"),
    [
        (Role.CHECKIN, "/organiser/checkin/", {"Check-in"}, {"Events", "Outbox", "Dashboard"}),
        (Role.ORGANISER, "/organiser/", {"Events", "Outbox", "Check-in"}, {"Audit log"}),
        (Role.ADMIN, "/organiser/", {"Events", "Accounts", "Audit log"}, set()),
    ],
)
def test_every_link_a_role_is_shown_answers_200(seeded, role, start, shown, hidden):
    app = seeded
    event_id = _event_with_a_delegate(app)
    client = signed_in(app, role)
    landing = client.get(start, follow_redirects=True)
    assert landing.status_code == 200
    labels = set(re.findall(r'<a href="/organiser/[^"]*"[^>]*>([^<]+)</a>', landing.text))
    assert shown <= labels and not hidden & labels, labels
    desk = client.get(f"/organiser/checkin/{event_id}")
    assert desk.status_code == 200
    assert "/organiser/checkin/" in _nav_links(desk.text)
    pages = _crawl(client, start)
    pages |= _crawl(client, f"/organiser/checkin/{event_id}")
    if role is not Role.CHECKIN:
        pages |= _crawl(client, f"/organiser/events/{event_id}/")
        assert f"/organiser/events/{event_id}/agenda" in pages
    refused = {url: status for url, status in pages.items() if status != 200}
    assert not refused
    assert len(pages) >= (2 if role is Role.CHECKIN else 10), pages


def test_check_in_staff_are_still_refused_the_pages_they_are_not_shown(seeded):
    app = seeded
    event_id = _event_with_a_delegate(app)
    client = signed_in(app, Role.CHECKIN)
    for url in ("/organiser/", f"/organiser/events/{event_id}/", "/organiser/audit/"):
        assert client.get(url).status_code == 403, url
