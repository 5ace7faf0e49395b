"""Secrets in delegates' links: the manage token, and the signed, expiring verification token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

if TYPE_CHECKING:
    from amf.registration.models import Registration

REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
_VERIFY_SALT = "amf.registration.verify-email"


class InvalidLink(Exception):
    """A link's token is forged, mangled or unknown."""


class ExpiredLink(Exception):
    """A link's token was genuine but is too old."""


def new_secret() -> str:
    """A 256-bit random token, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """What we store of a secret: its SHA-256, so a database leak does not leak the links."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_nonce() -> str:
    """Random material a link's token is derived from; stored, useless without SECRET_KEY."""
    return secrets.token_hex(16)


def derive_token(purpose: str, nonce: str) -> str:
    """The link token for a stored nonce: HMAC-SHA256 under SECRET_KEY, URL-safe.

    Emails can carry the link at any time, yet the database alone cannot rebuild it.
    """
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    digest = hmac.new(key, f"{purpose}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def manage_token(registration: Registration) -> str:
    """The token of the registration's manage link."""
    return derive_token("manage", registration.manage_nonce)


def calendar_token(registration: Registration) -> str:
    """The token of the registration's personal calendar feed."""
    return derive_token("calendar", registration.calendar_nonce)


def new_reference() -> str:
    """A short human-friendly registration reference, e.g. 'K7QM4T9X'."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_VERIFY_SALT)


def make_verification_token(registration_id: int, email: str, manage_nonce: str) -> str:
    """Signed token naming the registration, the address it was sent to and the manage link
    it leads to: replacing that link (a new nonce) makes every earlier token invalid.
    """
    return _serializer().dumps({"r": registration_id, "e": link_digest(email, manage_nonce)})


def read_verification_token(token: str, max_age_seconds: int) -> tuple[int, str]:
    """The (registration id, email digest) in a token; raises InvalidLink or ExpiredLink."""
    try:
        data = _serializer().loads(token, max_age=max_age_seconds)
    except SignatureExpired as exc:
        raise ExpiredLink from exc
    except BadSignature as exc:
        raise InvalidLink from exc
    if not isinstance(data, dict) or not isinstance(data.get("r"), int):
        raise InvalidLink
    return data["r"], str(data.get("e", ""))


def link_digest(email: str, manage_nonce: str) -> str:
    """The short digest of an address and a manage-link nonce that a verification token
    carries."""
    return hash_secret(f"{email.lower()}:{manage_nonce}")[:16]
