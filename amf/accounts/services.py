"""Creating organiser accounts, signing in and changing accounts; each change is audited."""

from __future__ import annotations

import sqlalchemy as sa

from amf.accounts.models import Role, User
from amf.accounts.passwords import hash_password, password_matches, password_problem
from amf.audit.services import diff, record
from amf.db import utcnow
from amf.extensions import db
from amf.registration.tokens import new_nonce


class AccountError(Exception):
    """An account change that cannot be made, with a message for the person making it."""


def find_user(email: str) -> User | None:
    """The account with this email (case-insensitive)."""
    return db.session.scalars(
        sa.select(User).where(sa.func.lower(User.email) == email.strip().lower())
    ).one_or_none()


def load_user(session_id: str) -> User | None:
    """The account a login session names, if the session is still valid."""
    user_id, _, nonce = session_id.partition(":")
    if not user_id.isdigit() or not nonce:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_nonce != nonce or not user.is_enabled:
        return None
    return user


def create_user(email: str, password: str, role: Role, name: str = "", actor="cli") -> User:
    """A new account; raises AccountError if the email is taken or the password too weak."""
    email = email.strip().lower()
    if not email or "@" not in email:
        raise AccountError("Enter an email address.")
    if find_user(email) is not None:
        raise AccountError(f"An account for {email} already exists.")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    user = User(
        email=email,
        name=name.strip(),
        role=Role(role),
        password_hash=hash_password(password),
        session_nonce=new_nonce(),
    )
    db.session.add(user)
    db.session.flush()
    record(actor, "account created", "account", user.id, f"{email} as {user.role.label}")
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The enabled account these credentials open, noting the sign-in; None otherwise."""
    user = find_user(email)
    if not password_matches(user.password_hash if user else None, password):
        return None
    if not user.is_enabled:
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def list_users() -> list[User]:
    """Every account, by email."""
    return list(db.session.scalars(sa.select(User).order_by(User.email)))


def update_user(user: User, actor: User, name: str, role: Role, enabled: bool) -> User:
    """Change an account's name, role or whether it may sign in."""
    if user.id == actor.id and (role != Role.ADMIN or not enabled):
        raise AccountError("You cannot remove your own admin role or disable yourself.")
    changes = diff(user, {"name": name.strip(), "role": Role(role), "is_enabled": enabled})
    if not changes:
        return user
    for field, (_, new) in changes.items():
        setattr(user, field, new)
    if "role" in changes or "is_enabled" in changes:
        user.session_nonce = new_nonce()  # signs the account out everywhere
    record(actor, "account changed", "account", user.id, user.email, changes)
    db.session.commit()
    return user


def set_password(user: User, password: str, actor) -> User:
    """Give the account a new password; its other sessions end."""
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(password)
    user.session_nonce = new_nonce()
    record(actor, "password changed", "account", user.id, user.email)
    db.session.commit()
    return user
