"""Check-in codes: a separate secret per confirmed delegate, stored only as a hash."""

from __future__ import annotations

import hashlib
import hmac
import io

import segno
from flask import current_app

from amf.checkin.models import CheckinPass
from amf.extensions import db
from amf.mail.models import attachment_builder
from amf.registration.models import Registration
from amf.registration.tokens import REFERENCE_ALPHABET, hash_secret, new_nonce

CODE_LENGTH = 12  # about 59 bits from a 31-letter alphabet
PREFIX = "AMF"


def checkin_code(checkin_pass: CheckinPass) -> str:
    """The code for a pass: HMAC of its nonce under SECRET_KEY, e.g. 'AMF-K7QM-4T9X-2HRB'."""
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    digest = hmac.new(key, f"checkin:{checkin_pass.nonce}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    letters = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(REFERENCE_ALPHABET))
        letters.append(REFERENCE_ALPHABET[index])
    groups = ["".join(letters[i : i + 4]) for i in range(0, CODE_LENGTH, 4)]
    return "-".join([PREFIX, *groups])


def normalise_code(text: str) -> str:
    """What staff typed or a scanner sent, in the canonical 'AMF-XXXX-XXXX-XXXX' form."""
    letters = "".join(ch for ch in text.upper() if ch.isalnum())
    letters = letters.removeprefix(PREFIX)
    if len(letters) != CODE_LENGTH:
        return ""
    groups = [letters[i : i + 4] for i in range(0, CODE_LENGTH, 4)]
    return "-".join([PREFIX, *groups])


def code_hash(code: str) -> str:
    """What the database keeps of a code."""
    return hash_secret(code)


def ensure_pass(registration: Registration) -> CheckinPass:
    """The registration's pass, created in the caller's transaction if it has none."""
    existing = db.session.get(CheckinPass, registration.id) if registration.id else None
    if existing is not None:
        return existing
    checkin_pass = CheckinPass(registration=registration, nonce=new_nonce())
    checkin_pass.code_hash = code_hash(checkin_code(checkin_pass))
    db.session.add(checkin_pass)
    return checkin_pass


def qr_svg(code: str) -> str:
    """The code as an inline SVG QR code: a viewBox and no fixed size, so CSS sizes it."""
    return segno.make(code, error="m").svg_inline(dark="#1b1f24", title=code, omitsize=True)


@attachment_builder("qr_png")
def qr_png(code: str) -> bytes:
    """The code as a PNG, for email clients that do not show SVG."""
    buffer = io.BytesIO()
    segno.make(code, error="m").save(buffer, kind="png", scale=5, border=2)
    return buffer.getvalue()
