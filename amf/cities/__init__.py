"""ASEAN Smart Cities Network: member states, pilot cities and their officers."""

from flask import Blueprint

bp = Blueprint("cities", __name__, url_prefix="/cities")

from amf.cities import views  # noqa: E402,F401
