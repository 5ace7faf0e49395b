"""The audit log viewer (admins only)."""

from __future__ import annotations

from flask import render_template, request

from amf.accounts.access import ADMIN, requires
from amf.audit import bp, services


@bp.get("/")
@requires(*ADMIN)
def log():
    """Who changed what, newest first, filterable by object type and person."""
    page = services.list_entries(
        page=request.args.get("page", 1, type=int),
        object_type=request.args.get("type", ""),
        actor=request.args.get("actor", "").strip(),
        object_id=request.args.get("id", None, type=int),
    )
    return render_template(
        "audit/log.html", page=page, types=services.object_types(), args=request.args
    )
