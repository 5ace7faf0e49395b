"""Configuration comes from the environment, and production refuses unsafe defaults."""

from __future__ import annotations

import pytest

from amf import create_app


def production_environment(monkeypatch, **overrides):
    """The settings production insists on, each replaceable (None removes it)."""
    settings = {
        "SECRET_KEY": "x" * 40,
        "DATABASE_URL": "postgresql://db.invalid/amf",
        "AMF_BASE_URL": "https://events.example.org",
        **overrides,
    }
    for name, value in settings.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


@pytest.mark.parametrize(
    ("override", "complaint"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": "short-but-set"}, "at least 32"),
        ({"AMF_BASE_URL": None}, "AMF_BASE_URL"),
        ({"AMF_BASE_URL": "http://events.example.org"}, "https"),
    ],
)
def test_production_refuses_unsafe_settings(monkeypatch, override, complaint):
    production_environment(monkeypatch, **override)
    with pytest.raises(RuntimeError, match=complaint):
        create_app("production")


def test_production_answers_only_its_own_host_names(monkeypatch):
    production_environment(
        monkeypatch, DATABASE_URL="sqlite://", AMF_TRUSTED_HOSTS="10.0.0.5, amf-web.internal"
    )
    client = create_app("production").test_client()
    assert client.get("/privacy", base_url="https://events.example.org").status_code == 200
    assert client.get("/healthz", base_url="http://10.0.0.5:8000").status_code == 200
    forged = client.get("/events/forum", base_url="https://evil.example")
    assert forged.status_code == 400 and "evil.example" not in forged.headers.get("Location", "")


def test_production_has_secure_cookies(monkeypatch):
    production_environment(monkeypatch)
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://db.invalid/amf"


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app("development")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (f"sqlite:///{app.instance_path}/amf.sqlite3")


def test_settings_are_read_when_the_app_is_created(monkeypatch):
    monkeypatch.setenv("AMF_BASE_URL", "https://events.example.org/")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.org")
    monkeypatch.setenv("MAIL_PORT", "587")
    monkeypatch.setenv("MAIL_USE_TLS", "true")
    app = create_app("development")
    assert app.config["AMF_BASE_URL"] == "https://events.example.org"
    assert (app.config["MAIL_SERVER"], app.config["MAIL_PORT"], app.config["MAIL_USE_TLS"]) == (
        "smtp.example.org",
        587,
        True,
    )
    monkeypatch.setenv("MAIL_PORT", "2525")
    assert create_app("development").config["MAIL_PORT"] == 2525


def test_heroku_style_postgres_urls_use_psycopg3(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@localhost/amf")
    app = create_app("development")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@localhost/amf"


def test_every_documented_setting_is_read_from_the_environment(monkeypatch):
    """Each AMF_ setting in the README's table changes the app when set in the environment."""
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    documented = set(re.findall(r"^\| `(AMF_[A-Z_]+)`", readme, re.MULTILINE))
    documented |= set(re.findall(r"^\| `AMF_[A-Z_]+`, `(AMF_[A-Z_]+)`", readme, re.MULTILINE))
    defaults = create_app("development").config
    numeric = {
        name
        for name in documented
        if isinstance(defaults.get(name), int) and not isinstance(defaults[name], bool)
    }
    for name in numeric:
        monkeypatch.setenv(name, str(defaults[name] + 7))
    app = create_app("development")
    assert {name: app.config[name] - defaults[name] for name in numeric} == dict.fromkeys(
        numeric, 7
    )
    assert (
        "AMF_CALENDAR_VERSION_TTL_SECONDS" in numeric and "AMF_SHARED_PAGE_TTL_SECONDS" in numeric
    )


def test_production_leaves_mail_to_the_workers(monkeypatch):
    production_environment(monkeypatch)
    assert create_app("production").config["AMF_MAIL_SEND_AFTER_COMMIT"] is False
    monkeypatch.setenv("AMF_MAIL_SEND_AFTER_COMMIT", "true")
    assert create_app("production").config["AMF_MAIL_SEND_AFTER_COMMIT"] is True
    assert create_app("development").config["AMF_MAIL_SEND_AFTER_COMMIT"] is True


def test_cache_redis_url_shares_built_documents_through_redis(monkeypatch):
    assert create_app("development").config["CACHE_TYPE"] == "NullCache"
    monkeypatch.setenv("CACHE_REDIS_URL", "redis://redis.internal:6379/1")
    assert create_app("development").config["CACHE_TYPE"] == "RedisCache"
