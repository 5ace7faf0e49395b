"""The outbox: queued, sent and failed messages, and retrying a failed one."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from amf.accounts.access import STAFF, requires
from amf.audit.services import record
from amf.extensions import db
from amf.form_fields import ConfirmForm
from amf.mail.models import OutboxMessage, OutboxStatus
from amf.mail.services import count_by_status, retry_failed_message
from amf.organiser.views import bp

PAGE_SIZE = 50


@bp.get("/outbox")
@requires(*STAFF)
def outbox():
    """Messages of one status, newest first, with their errors."""
    status = request.args.get("status", "failed")
    if status not in OutboxStatus._value2member_map_:
        status = "failed"
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    messages = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus(status))
        .order_by(OutboxMessage.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
        .options(
            sa.orm.defer(OutboxMessage.text_body),
            sa.orm.defer(OutboxMessage.html_body),
            sa.orm.defer(OutboxMessage.attachments),
        )
    ).all()
    return render_template(
        "organiser/outbox.html",
        counts=count_by_status(),
        status=status,
        messages=messages[:PAGE_SIZE],
        page=page,
        has_next=len(messages) > PAGE_SIZE,
        form=ConfirmForm(),
    )


@bp.post("/outbox/<int:message_id>/retry")
@requires(*STAFF)
def retry_message(message_id: int):
    """Put a failed message back in the queue."""
    if ConfirmForm().validate_on_submit():
        record(current_user, "mail retried", "outbox_message", message_id)
        if retry_failed_message(message_id) is None:
            db.session.rollback()
            flash("Only failed messages can be retried.", "error")
        else:
            flash("The message is queued again.", "info")
    return redirect(url_for(".outbox", status="failed"), code=303)
