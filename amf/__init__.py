"""AMF Events: the event-management application of the ASEAN Mayors Forum."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

import config as config_module

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """A top-level resource folder: beside the package in a checkout, inside it when installed."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name


def create_app(config: str | type | Mapping[str, Any] | None = None) -> Flask:
    """Build the application.

    ``config`` is an environment name ("development", "testing", "production"), a config
    class, or a mapping of settings laid over the environment named by its ``AMF_ENV`` key
    (or the ``AMF_ENV`` environment variable, default development).
    """
    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
        instance_relative_config=True,
    )
    load_config(app, config)
    register_sessions(app)
    register_input_guards(app)
    register_url_converters(app)
    register_extensions(app)
    register_login(app)
    register_mail(app)
    register_revision_tracking(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_commands(app)
    register_proxy_fix(app)
    return app


def load_config(app: Flask, config: str | type | Mapping[str, Any] | None) -> None:
    """Apply the chosen configuration class, then any overrides."""
    overrides: Mapping[str, Any] = {}
    if isinstance(config, Mapping):
        overrides = config
        config = overrides.get("AMF_ENV")
    if config is None:
        config = os.environ.get("AMF_ENV", "development")
    config_cls = config_module.CONFIGS[config] if isinstance(config, str) else config
    app.config.from_object(config_cls())
    app.config.update(overrides)
    app.config["AMF_ENV"] = config_cls.ENV_NAME
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'amf.sqlite3'}"
        )
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgres://"):  # the form many hosts hand out
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):  # psycopg 3, not the psycopg2 default
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = url


def register_sessions(app: Flask) -> None:
    """Signed-cookie sessions that cost nothing on requests without a session cookie."""
    from amf.sessions import CookielessFastSessionInterface

    app.session_interface = CookielessFastSessionInterface()


def register_input_guards(app: Flask) -> None:
    """Out-of-range ids and NUL bytes are refused for every route before any query."""
    from amf.inputs import register

    register(app)


def register_url_converters(app: Flask) -> None:
    """<slug:...> and <token:...>: malformed slugs and tokens are 404s before any query."""
    from amf.urls import register_converters

    register_converters(app)


def register_extensions(app: Flask) -> None:
    """Bind the extensions to this app."""
    from amf.db import render_migration_item
    from amf.extensions import cache, csrf, db, limiter, mail, migrate

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(resource_dir("migrations")),
        render_as_batch=True,  # SQLite can only ALTER through table copies
        compare_type=True,
        render_item=render_migration_item,
    )
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    cache.init_app(app)


def register_login(app: Flask) -> None:
    """Organiser sign-in: Flask-Login with our account loader."""
    from amf.accounts.login import init_login

    init_login(app)


def register_revision_tracking(app: Flask) -> None:
    """Count agenda changes for calendar SEQUENCE; keep per-worker caches in step with commits."""
    from amf.calendar.cache import install_stamp_invalidation
    from amf.cities.choices import install_choice_invalidation
    from amf.db import install_transaction_hooks
    from amf.events.revisions import install_revision_tracking

    install_transaction_hooks()
    install_revision_tracking()
    install_stamp_invalidation()
    install_choice_invalidation()


def register_mail(app: Flask) -> None:
    """The outbox model, delivery right after each commit, and waking the mail workers."""
    from amf.mail import models  # noqa: F401 - registers the outbox table
    from amf.mail.delivery import install_after_commit_delivery

    install_after_commit_delivery()  # the workers are woken by mail.wakeup.request_wakeup


def register_blueprints(app: Flask) -> None:
    """Attach one blueprint per feature."""
    from amf import calendar, registration
    from amf.main import cities, events, views

    app.register_blueprint(views.bp)
    app.register_blueprint(events.bp)
    app.register_blueprint(calendar.bp)
    app.register_blueprint(cities.bp)
    app.register_blueprint(registration.bp)
    from amf import accounts, checkin, organiser
    from amf.organiser.views import audit

    app.register_blueprint(accounts.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(organiser.bp)
    app.register_blueprint(checkin.bp)


def register_errorhandlers(app: Flask) -> None:
    """Render HTTP errors with our own pages."""
    from amf.main.errors import register

    register(app)


def register_security_headers(app: Flask) -> None:
    """CSP, framing, sniffing and referrer protections on every response."""
    from amf.security import register

    register(app)


def register_proxy_fix(app: Flask) -> None:
    """The only WSGI layer: the client's real address, scheme and host from trusted proxies."""
    if app.config["AMF_TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["AMF_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_template_helpers(app: Flask) -> None:
    """Filters and globals the templates use."""
    from amf.templating import register

    register(app)


def register_commands(app: Flask) -> None:
    """The `flask amf ...` command group, assembled from the features' commands."""
    from amf.cli import amf_cli

    app.cli.add_command(amf_cli)
