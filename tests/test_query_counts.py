"""Pages load what they show in a fixed number of queries, whatever the agenda's size."""

from __future__ import annotations

import pytest
from builders import make_agenda, make_event
from conftest import count_queries

from amf.extensions import db


def _agenda_queries(app, client, slug: str, sessions: int) -> int:
    with app.app_context():
        make_agenda(make_event(slug=slug), sessions)
        db.session.commit()
    with count_queries(app) as counter:
        response = client.get(f"/events/{slug}/agenda?tz=Asia/Manila")
    assert response.status_code == 200
    assert response.text.count('class="session ') == sessions
    return counter.count


def test_agenda_query_count_does_not_grow_with_sessions(seeded, client):
    small = _agenda_queries(seeded, client, "small", 10)
    # Past 500, where eager loaders that fetch in chunks of 500 would add queries.
    large = _agenda_queries(seeded, client, "large", 1200)
    assert small == large
    assert small <= 8


@pytest.mark.parametrize("url", ["/events/{slug}/speakers/", "/events/{slug}/", "/"])
def test_other_event_pages_are_constant_too(seeded, client, url):
    counts = []
    for slug, size in [("a", 10), ("b", 200)]:
        with seeded.app_context():
            make_agenda(make_event(slug=slug), size)
            db.session.commit()
        with count_queries(seeded) as counter:
            assert client.get(url.format(slug=slug)).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_city_directory_query_count_is_fixed(seeded, client):
    with count_queries(seeded) as counter:
        client.get("/cities/")
    assert counter.count <= 4
