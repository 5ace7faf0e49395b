"""Home page and health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, render_template

from amf.events.services import list_public_events
from amf.extensions import db
from amf.main.health import dependency_health

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    """Upcoming and past AMF events."""
    return render_template("main/index.html", listing=list_public_events())


@bp.get("/privacy")
def privacy():
    """What we do with delegates' personal data."""
    return render_template("main/privacy.html")


@bp.get("/healthz")
def healthz():
    """Liveness and dependency check for load balancers and monitors.

    503 when the database is unreachable; 200 with "degraded" and the part's name when only
    Redis is (rate limits then count per process, documents are built per process).
    """
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        current_app.logger.warning("health check: database unreachable: %s", exc)
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    dependencies = dependency_health()
    status = "ok" if all(state == "ok" for state in dependencies.values()) else "degraded"
    return jsonify(status=status, database="ok", **dependencies)
