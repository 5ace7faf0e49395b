"""Shared form rules agree with the URLs: a slug a form accepts is one the site can route."""

from __future__ import annotations

import re
from functools import cache

from flask_wtf import FlaskForm
from hypothesis import given, settings
from hypothesis import strategies as st
from wtforms import StringField

from amf.form_fields import VALID_SLUG
from amf.organiser.text import slugify


class SlugForm(FlaskForm):
    """A one-field form, as the organiser's event form uses the rule."""

    slug = StringField(validators=[VALID_SLUG])


@cache
def _app():
    """One app for the many examples (no database needed)."""
    from amf import create_app

    return create_app({"AMF_ENV": "testing", "WTF_CSRF_ENABLED": False})


def _routable(app, slug: str) -> bool:
    adapter = app.url_map.bind("amf.test")
    endpoint, _ = adapter.match(f"/events/{slug}/") if adapter.test(f"/events/{slug}/") else ("", 0)
    return endpoint == "events.event_page"


@settings(max_examples=200, deadline=None)
@given(slug=st.one_of(st.from_regex(r"\A[a-z0-9-]{1,82}\Z"), st.text(max_size=20)))
def test_a_slug_is_accepted_exactly_when_it_can_be_routed(slug):
    app = _app()
    with app.test_request_context(method="POST", data={"slug": slug}):
        accepted = SlugForm().validate()
    assert accepted == _routable(app, slug), slug


def test_trailing_hyphen_is_refused_with_a_clear_message(app):
    with app.test_request_context(method="POST", data={"slug": "amf-2024-"}):
        form = SlugForm(meta={"csrf": False})
        assert not form.validate()
        assert "inner hyphens" in form.slug.errors[0]


@given(name=st.text(max_size=120))
def test_slugify_always_makes_a_routable_slug(name):
    assert re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?", slugify(name))
