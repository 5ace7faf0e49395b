"""Public pages of the pilot-city directory."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from amf.cities import services
from amf.cities.map import draw_city_map
from amf.registration.delegations import listed_delegates

bp = Blueprint("cities", __name__, url_prefix="/cities")


@bp.get("/")
def directory():
    """The pilot cities grouped by member state, with a map."""
    states = services.list_member_states_with_cities()
    cities = [city for state in states for city in state.cities]
    return render_template("cities/directory.html", states=states, city_map=draw_city_map(cities))


@bp.get("/<slug:slug>")
def city_page(slug: str):
    """One city and its Chief Smart City Officers."""
    city = services.get_city(slug)
    if city is None:
        abort(404)
    return render_template(
        "cities/city.html",
        city=city,
        city_map=draw_city_map([city], highlight=city),
        delegates=listed_delegates(city),
    )
