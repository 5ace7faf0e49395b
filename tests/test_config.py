"""Configuration comes from the environment, and production refuses unsafe defaults."""

from __future__ import annotations

import pytest

from amf import create_app


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.invalid/amf")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_has_secure_cookies(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.invalid/amf")
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
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.invalid/amf")
    assert create_app("production").config["AMF_MAIL_SEND_AFTER_COMMIT"] is False
    monkeypatch.setenv("AMF_MAIL_SEND_AFTER_COMMIT", "true")
    assert create_app("production").config["AMF_MAIL_SEND_AFTER_COMMIT"] is True
    assert create_app("development").config["AMF_MAIL_SEND_AFTER_COMMIT"] is True
