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
