"""Who may open which back-office page: every view names its roles, or nobody gets in."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, abort, current_app, request
from flask_login import current_user

from amf.accounts.models import Role
from amf.extensions import login_manager
from amf.security import no_store

View = TypeVar("View", bound=Callable)


def requires(*roles: Role) -> Callable[[View], View]:
    """Mark a view as open to these roles (admins always pass)."""

    def mark(view: View) -> View:
        view.required_roles = roles  # type: ignore[attr-defined]
        return view

    return mark


def public(view: View) -> View:
    """Mark a view as open to anyone (the sign-in page)."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def _role_allows(view) -> bool:
    """Whether the signed-in account holds one of the view's roles (none declared: nobody)."""
    roles = getattr(view, "required_roles", None)
    return bool(roles) and current_user.has_role(*roles)


def check_access():
    """Before each request to a guarded blueprint: sign-in first, then the view's roles.

    A view with no declared roles is refused to everyone, so a forgotten marker fails closed.
    """
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "is_public", False):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not _role_allows(view):
        abort(403)
    return None


def may_open(endpoint: str) -> bool:
    """Whether the signed-in account may open this back-office page: templates show a link
    only then, by the same rule check_access applies, so no link leads to a 403."""
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return False
    if getattr(view, "is_public", False):
        return True
    return current_user.is_authenticated and _role_allows(view)


def guard(bp: Blueprint) -> Blueprint:
    """Put the blueprint's every route behind check_access; no cache keeps its pages."""
    bp.before_request(check_access)
    bp.after_request(no_store)
    return bp


STAFF = (Role.ORGANISER,)
ADMIN = (Role.ADMIN,)
CHECKIN = (Role.ORGANISER, Role.CHECKIN)
