"""Password hashing with werkzeug's current default, and rules for new passwords."""

from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

MIN_PASSWORD_LENGTH = 12
# Checked when the email is unknown, so a wrong address takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def hash_password(password: str) -> str:
    """werkzeug's default (scrypt) hash of the password."""
    return generate_password_hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether the password fits the hash; constant work when there is no hash."""
    if password_hash is None:
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(password_hash, password)


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > 256:
        return "Use at most 256 characters."
    if password.strip() != password or not password.strip():
        return "Do not start or end the password with spaces."
    return None
