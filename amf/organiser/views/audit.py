"""The audit log viewer (admins only), a blueprint of its own under the back office."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from amf.accounts.access import ADMIN, guard, requires
from amf.audit import services
from amf.timezones import valid_timezone

bp = guard(Blueprint("audit", __name__, url_prefix="/organiser/audit"))


@bp.get("/")
@requires(*ADMIN)
def log():
    """Who changed what, newest first, filterable by object type and person.

    Times show in UTC, or in the zone ``tz`` names (the event pages link with theirs).
    """
    page = services.list_entries(
        page=request.args.get("page", 1, type=int),
        object_type=request.args.get("type", ""),
        actor=request.args.get("actor", "").strip(),
        object_id=request.args.get("id", None, type=int),
    )
    zone = valid_timezone(request.args.get("tz")) or "UTC"
    return render_template(
        "audit/log.html",
        page=page,
        types=services.object_types(),
        args=request.args,
        zone=zone,
        readable=lambda value: services.readable_value(value, zone),
        when=lambda instant: services.readable_instant(instant, zone, seconds=True),
    )
