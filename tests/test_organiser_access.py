"""Every back-office route refuses anonymous visitors and the wrong roles; sign-in is safe."""

from __future__ import annotations

import pytest
from organiser_support import PASSWORD, csrf_from, login, make_user, signed_in

from amf.accounts.models import Role, User
from amf.accounts.views import safe_next
from amf.extensions import db

PUBLIC = {"accounts.login"}
# Who may open what: everything else under /organiser/ is for organisers (and admins).
ADMIN_ONLY = {"accounts.accounts", "accounts.create_account", "accounts.edit_account", "audit.log"}
CHECKIN_ALLOWED = {"checkin.screen", "checkin.desk", "accounts.logout"}


def organiser_routes(app):
    """(endpoint, method, url) for every /organiser/ route, with placeholder arguments."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/organiser") or rule.endpoint in PUBLIC:
            continue
        values = {}
        for name in rule.arguments:
            converter = rule._converters[name]
            values[name] = (getattr(converter, "items", None) and sorted(converter.items)[0]) or 1
            if type(converter).__name__ == "AnyConverter":
                values[name] = sorted(converter.items)[0] if hasattr(converter, "items") else "csv"
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, url))
    assert len(routes) > 30
    return routes


def test_every_organiser_route_sends_anonymous_visitors_to_sign_in(app):
    app.config["WTF_CSRF_ENABLED"] = False  # reach the access check on POSTs too
    client = app.test_client()
    for endpoint, method, url in organiser_routes(app):
        response = client.open(url, method=method)
        assert response.status_code == 302, (endpoint, method, response.status_code)
        assert response.headers["Location"].startswith("/organiser/login"), endpoint


@pytest.mark.parametrize("role", [Role.CHECKIN, Role.ORGANISER])
def test_every_organiser_route_refuses_roles_it_is_not_for(app, role):
    client = signed_in(app, role)
    app.config["WTF_CSRF_ENABLED"] = False  # reach the access check on POSTs too
    for endpoint, method, url in organiser_routes(app):
        allowed = endpoint not in ADMIN_ONLY and (
            role == Role.ORGANISER or endpoint in CHECKIN_ALLOWED
        )
        response = client.open(url, method=method)
        if allowed:
            assert response.status_code != 403, (endpoint, method)
        else:
            assert response.status_code == 403, (endpoint, method, response.status_code)
        if endpoint == "accounts.logout":
            client = signed_in(app, role, email=f"again-{len(url)}-{method}@amf.test")


def test_admins_reach_every_route(app):
    client = signed_in(app, Role.ADMIN)
    app.config["WTF_CSRF_ENABLED"] = False
    for endpoint, method, url in organiser_routes(app):
        if endpoint == "accounts.logout":
            continue
        assert client.open(url, method=method).status_code != 403, endpoint


def test_a_view_without_declared_roles_is_refused_to_everyone(app):
    """Fail closed: a route someone forgot to mark is not open to all signed-in staff."""
    from amf.organiser import bp  # noqa: F401

    def unmarked():
        return "secret"

    app.add_url_rule("/organiser/forgotten", "organiser.forgotten", unmarked)
    client = signed_in(app, Role.ADMIN)
    assert client.get("/organiser/forgotten").status_code == 403


def test_sign_in_redirects_only_to_our_own_paths(app):
    make_user(app)
    client = app.test_client()
    token = csrf_from(client)
    for target, expected in [
        ("/organiser/delegations", "/organiser/delegations"),
        ("https://evil.example/x", "/organiser/"),
        ("//evil.example/x", "/organiser/"),
        ("/\\evil.example", "/organiser/"),
    ]:
        response = client.post(
            "/organiser/login?next=" + target,
            data={"email": "admin@amf.test", "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 303
        assert response.headers["Location"] == expected, target
        client.post("/organiser/logout", data={"csrf_token": csrf_from(client, "/organiser/")})
        token = csrf_from(client)
    assert safe_next("javascript:alert(1)") is None
    assert safe_next("/ok?x=1") == "/ok?x=1"


def test_wrong_password_and_disabled_accounts_cannot_sign_in(app):
    make_user(app)
    client = app.test_client()
    response = login(client, password="wrong password!")
    assert response.status_code == 422 and "do not match" in response.text
    with app.app_context():
        user = db.session.scalars(db.select(User)).one()
        assert user.password_hash.startswith("scrypt:")
        user.is_enabled = False
        db.session.commit()
    assert login(client).status_code == 422


def test_logout_is_a_post_and_ends_the_session(app):
    client = signed_in(app, Role.ORGANISER)
    assert client.get("/organiser/logout").status_code == 405
    client.post("/organiser/logout", data={"csrf_token": csrf_from(client, "/organiser/")})
    assert client.get("/organiser/").status_code == 302


def test_sign_in_is_rate_limited(database_url, tmp_path):
    from conftest import close_database, make_app

    app = make_app(
        database_url, tmp_path, RATELIMIT_ENABLED=True, AMF_LOGIN_RATE_LIMIT="3 per minute"
    )
    try:
        client = app.test_client()
        codes = [
            login(client, "nobody@amf.test", "whatever-password").status_code for _ in range(4)
        ]
        assert codes == [422, 422, 422, 429]
    finally:
        close_database(app)


def test_create_organiser_command_prompts_or_reads_stdin(runner, app):
    result = runner.invoke(
        args=["amf", "create-organiser", "Chief@AMF.test", "--role", "admin"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    result = runner.invoke(
        args=["amf", "create-organiser", "desk@amf.test", "--role", "checkin", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["amf", "create-organiser", "weak@amf.test", "--password-stdin"], input="short\n"
    )
    assert result.exit_code != 0 and "12 characters" in result.output
    with app.app_context():
        users = {u.email: u.role for u in db.session.scalars(db.select(User))}
    assert users == {"chief@amf.test": Role.ADMIN, "desk@amf.test": Role.CHECKIN}


def test_admin_creates_an_account_and_the_audit_log_shows_it(app):
    client = signed_in(app, Role.ADMIN)
    token = csrf_from(client, "/organiser/accounts/")
    response = client.post(
        "/organiser/accounts/",
        data={
            "email": "new@example.org",
            "name": "Nguyễn Thị Mai",
            "role": "organiser",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    log = client.get("/organiser/audit/")
    assert "account created" in log.text and "new@example.org" in log.text
