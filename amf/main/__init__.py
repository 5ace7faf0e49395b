"""Site-wide pages: home, health check, error pages."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from amf.main import views  # noqa: E402,F401
