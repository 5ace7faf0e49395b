"""Turning an outbox row into an RFC 5322 message, headers built only by the email package.

Not built with Flask-Mail's Message: its builder (0.10.0, the latest) puts inline images
beside the HTML instead of in multipart/related with it, gives an alternative no parameters
(so no text/calendar; method=...), writes UTF-8 bodies as 8bit, which a relay without
8BITMIME may mangle, and orders To through a set.
"""

from __future__ import annotations

from email import policy
from email.errors import NonASCIILocalPartDefect
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid

from amf.mail.models import AnyAttachment, OutboxMessage

# CRLF line ends and bodies encoded for any relay, even one without 8BITMIME.
SEVEN_BIT_SMTP = policy.SMTP.clone(cte_type="7bit")


def single_line(text: str) -> str:
    """Collapse every run of whitespace, line breaks included, to one space."""
    return " ".join(text.split())


def has_line_break(text: str) -> bool:
    """Whether the text holds CR, LF or any other line boundary."""
    return "".join(text.splitlines()) != text


def make_address(email: str, name: str = "") -> Address:
    """An Address whose display name cannot carry a line break; a malformed address raises."""
    email = email.strip()
    if has_line_break(email) or " " in email:
        raise ValueError(f"invalid email address {email!r}")
    try:
        address = Address(display_name=single_line(name), addr_spec=email)
    except NonASCIILocalPartDefect:
        # Allowed (RFC 6531): amf.mail.transport sends it with SMTPUTF8 where the relay
        # offers it, and fails that one message where it does not.
        local, _, domain = email.rpartition("@")
        address = Address(display_name=single_line(name), username=local, domain=domain)
    if not address.username or not address.domain:
        raise ValueError(f"invalid email address {email!r}")
    return address


def parse_address(value: str) -> Address:
    """'Name <addr>' or a bare address, as an Address."""
    if has_line_break(value):
        raise ValueError(f"invalid email address {value!r}")
    pairs = getaddresses([value])
    if len(pairs) != 1 or not pairs[0][1]:
        raise ValueError(f"invalid email address {value!r}")
    name, email = pairs[0]
    return make_address(email, name)


def new_message_id(domain: str) -> str:
    """A globally unique Message-ID such as '<1700000000.123.456@amf.example>'."""
    return make_msgid(domain=domain)


def build_email(message: OutboxMessage) -> EmailMessage:
    """The message to hand to SMTP or write to a file.

    With an invitation attached the structure is multipart/mixed[multipart/alternative[
    text/plain, text/html, text/calendar; method=...], the same .ics as an attachment].
    Inline images (a check-in QR code) make the HTML part multipart/related[text/html, image].
    """
    email = EmailMessage(policy=SEVEN_BIT_SMTP)
    email["From"] = parse_address(message.sender)
    email["To"] = [make_address(r["email"], r.get("name", "")) for r in message.recipients]
    if message.reply_to:
        email["Reply-To"] = parse_address(message.reply_to)
    email["Subject"] = single_line(message.subject)
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = message.message_id
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please

    email.set_content(message.text_body, subtype="plain", charset="utf-8")
    attachments = message.attachment_files
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html", charset="utf-8")
        html = email.get_body(preferencelist=("html",))
        for image in (a for a in attachments if a.content_id):
            maintype, _, subtype = image.mime_type.partition("/")
            html.add_related(
                image.content,
                maintype=maintype,
                subtype=subtype,
                cid=f"<{image.content_id}>",
                disposition="inline",
                filename=image.filename,
            )
    # iMIP carries one iCalendar object per text/calendar alternative, and clients act on one:
    # the first invitation is the alternative, any further ones (other sessions) ride along
    # as attachments with their method.
    invitation = next((a for a in attachments if a.method), None)
    if invitation is not None:
        _add_calendar_alternative(email, invitation)
    for attachment in attachments:
        if not attachment.content_id:
            _attach(email, attachment)
    return email


def _add_calendar_alternative(email: EmailMessage, attachment: AnyAttachment) -> None:
    """The invitation as the last alternative, which is what calendar clients act on."""
    if email.get_content_type() != "multipart/alternative":
        email.make_alternative()
    email.add_alternative(
        attachment.content.decode("utf-8"),
        subtype="calendar",
        charset="utf-8",
        params={"method": attachment.method},
    )


def _attach(email: EmailMessage, attachment: AnyAttachment) -> None:
    """Add a file byte for byte, keeping an iCalendar method in its Content-Type."""
    maintype, _, subtype = attachment.mime_type.partition("/")
    params = {"charset": "utf-8"} if maintype == "text" else {}
    if attachment.method:
        params["method"] = attachment.method
    email.add_attachment(
        attachment.content,
        maintype=maintype,
        subtype=subtype,
        filename=attachment.filename,
        params=params,
    )
