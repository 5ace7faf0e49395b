"""Arbitrary input on every public form: never a server error, never a partial write."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from builders import delegate, make_event, make_session, open_registration
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from amf.events.models import Event
from amf.extensions import db
from amf.mail.models import OutboxMessage
from amf.registration import services
from amf.registration.models import Registration
from amf.registration.tokens import make_verification_token

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

REGISTRATION_FIELDS = [
    "honorific",
    "given_names",
    "family_name",
    "email",
    "phone",
    "position",
    "organisation",
    "category",
    "city",
    "officer_id",
    "other_organisation",
    "other_country",
    "dietary_needs",
    "accessibility_needs",
    "consent_privacy",
    "listed_publicly",
    "sessions",
]

# Any Unicode (control characters, NUL, surrogate-free), short and very long.
hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=10),
    st.text(min_size=300, max_size=3000),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            "=cmd|' /C calc'!A0",
            "'; DROP TABLE event;--",
            "\r\nBcc: victim@example.org",
            "../../etc/passwd",
            "1e309",
            "-1",
            "0",
        ]
    ),
)
# A field may be missing, given once, or given several times (wrong type for a single value).
field_value = st.one_of(st.none(), hostile_text, st.lists(hostile_text, min_size=2, max_size=3))
# Either every field hostile, or a valid form with a few fields replaced (so that hostile but
# acceptable text is stored and mailed, not only refused).
form_data = st.one_of(
    st.fixed_dictionaries({name: field_value for name in REGISTRATION_FIELDS}),
    st.dictionaries(st.sampled_from(REGISTRATION_FIELDS), field_value, max_size=3).map(
        lambda changes: {"__valid__": True, **changes}
    ),
)
VALID = {
    "given_names": "Nguyễn Đức",
    "family_name": "Chung",
    "email": "valid@example.org",
    "category": "city_official",
    "city": "other",
    "other_organisation": "UN-Habitat",
    "consent_privacy": "y",
}

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _counts() -> tuple[int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(Registration)),
        db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)),
    )


def _payload(data: dict, token: str) -> dict:
    if data.get("__valid__"):
        data = {**VALID, **{k: v for k, v in data.items() if k != "__valid__"}}
    payload = {name: value for name, value in data.items() if value is not None}
    payload["csrf_token"] = token
    return payload


@pytest.fixture
def open_event(seeded):
    with seeded.app_context():
        event = open_registration(make_event(slug="open"), capacity=5)
        make_session(event, title="Workshop", takes_signups=True, capacity=2)
        db.session.commit()
    return seeded


@SETTINGS
@given(data=form_data)
def test_registration_form_never_fails_or_half_writes(open_event, client, data):
    token = CSRF.search(client.get("/events/open/register").text).group(1)
    with open_event.app_context():
        before = _counts()
    response = client.post("/events/open/register", data=_payload(data, token))
    event(f"answered {response.status_code}")
    assert response.status_code in (303, 422), response.status_code
    with open_event.app_context():
        after = _counts()
    if response.status_code == 303:
        assert after == (before[0] + 1, before[1] + 1)  # the registration and its email
        with open_event.app_context():  # free the address for the next example
            db.session.execute(sa.update(Registration).values(status="cancelled"))
            db.session.commit()
    else:
        assert after == before
        assert "<script>alert(1)</script>" not in response.text


@SETTINGS
@given(email=field_value)
def test_resend_form_never_fails(open_event, client, email):
    token = CSRF.search(client.get("/events/open/register/resend").text).group(1)
    response = client.post("/events/open/register/resend", data=_payload({"email": email}, token))
    assert response.status_code == 200


@pytest.fixture
def manage_path(open_event):
    with open_event.app_context():
        event = db.session.scalars(sa.select(Event).where(Event.slug == "open")).one()
        registration = services.submit_registration(event, delegate(1))
        services.verify_registration(
            make_verification_token(registration.id, registration.email, registration.manage_nonce)
        )
        return f"/registrations/{services.manage_token(registration)}"


@SETTINGS
@given(data=form_data, action=st.sampled_from(["details", "sessions", "cancel"]))
def test_manage_forms_never_fail_or_half_write(open_event, manage_path, client, data, action):
    token = CSRF.search(client.get(manage_path).text).group(1)
    with open_event.app_context():
        before = db.session.scalars(sa.select(Registration)).one()
        snapshot = (before.status, before.given_names, before.updated_at)
    payload = _payload(data, token)
    if action == "cancel":
        payload.pop("confirm", None)  # never actually cancel: each example needs the registration
    response = client.post(f"{manage_path}/{action}", data=payload)
    assert response.status_code in (303, 422), response.status_code
    if response.status_code == 422:
        with open_event.app_context():
            after = db.session.scalars(sa.select(Registration)).one()
            assert (after.status, after.given_names, after.updated_at) == snapshot


@SETTINGS
@given(path=st.text(min_size=1, max_size=200))
def test_arbitrary_links_get_a_page_never_an_error(open_event, client, path):
    for prefix in ("/registrations/verify/", "/registrations/", "/events/", "/cities/"):
        response = client.get(prefix + path.replace("?", "%3F").replace("#", "%23"))
        assert response.status_code < 500, (prefix, path)
