"""Check-in passes: issued with a confirmed seat, a secret code stored only as a hash."""

from __future__ import annotations

import hashlib
import hmac
import io
from datetime import datetime
from email.utils import make_msgid

import segno
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amf.calendar_uids import calendar_host
from amf.db import UTCDateTime, utcnow
from amf.extensions import db
from amf.mail.models import BuiltAttachment, attachment_builder
from amf.registration.models import Registration
from amf.registration.tokens import REFERENCE_ALPHABET, hash_secret, new_nonce


class CheckinPass(db.Model):
    """The check-in code of one registration (its hash) and the arrival it records."""

    __tablename__ = "checkin_pass"

    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    # The code is derived from this nonce and SECRET_KEY; the database keeps only its hash.
    nonce: Mapped[str] = mapped_column(sa.String(32))
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by: Mapped[str | None] = mapped_column(sa.String(254))

    registration: Mapped[Registration] = relationship()


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


def checkin_context(registration: Registration) -> tuple[dict, BuiltAttachment]:
    """The delegate's check-in code, creating the pass if needed, and its QR code image.

    The image travels as an inline part the HTML shows by Content-ID: Gmail and Outlook
    show no ``data:`` images. It is drawn (qr_png) when the message is sent.
    """
    code = checkin_code(ensure_pass(registration))
    image = BuiltAttachment(
        filename="check-in-code.png",
        mime_type="image/png",
        builder="qr_png",
        arguments={"code": code},
        content_id=make_msgid("checkin", domain=calendar_host()).strip("<>"),
    )
    return {"checkin_code": code, "checkin_qr": f"cid:{image.content_id}"}, image
