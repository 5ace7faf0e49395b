"""Flask-Login set-up: how a session finds its account, and where sign-in lives."""

from __future__ import annotations

from flask import Flask

from amf.accounts import models  # noqa: F401 - registers the table
from amf.accounts.services import load_user
from amf.extensions import login_manager


def init_login(app: Flask) -> None:
    """Bind Flask-Login; sessions carry "id:nonce" (see User.get_id)."""
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to open that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


@login_manager.user_loader
def _load_user(session_id: str):
    return load_user(session_id)
