"""An inline SVG map of pilot cities drawn from their coordinates: no tiles, works offline."""

from __future__ import annotations

import math
from collections.abc import Sequence

from flask import url_for
from markupsafe import Markup, escape

from amf.cities.models import PilotCity

# The ASEAN region, in degrees.
WEST, EAST, SOUTH, NORTH = 92.0, 129.0, -11.0, 25.0
WIDTH = 720
_X_SCALE = WIDTH / (EAST - WEST)
_Y_SCALE = _X_SCALE / math.cos(math.radians((NORTH + SOUTH) / 2))
HEIGHT = round((NORTH - SOUTH) * _Y_SCALE)
_CHAR_WIDTH, _LABEL_HEIGHT = 6.4, 13


def project(latitude: float, longitude: float) -> tuple[float, float]:
    """Longitude/latitude to SVG coordinates (equirectangular, scaled for the region's latitude)."""
    return (longitude - WEST) * _X_SCALE, (NORTH - latitude) * _Y_SCALE


def _overlaps(box, boxes) -> bool:
    x1, y1, x2, y2 = box
    return any(x1 < bx2 and bx1 < x2 and y1 < by2 and by1 < y2 for bx1, by1, bx2, by2 in boxes)


def _place_label(x: float, y: float, text: str, taken: list) -> tuple[float, float, str]:
    """Put a label beside its dot wherever it overlaps no dot or earlier label."""
    width = len(text) * _CHAR_WIDTH
    candidates = [
        (x + 8, y + 4, "start"),
        (x - 8, y + 4, "end"),
        (x + 6, y - 7, "start"),
        (x + 6, y + 15, "start"),
        (x - 6, y - 7, "end"),
        (x - 6, y + 15, "end"),
        (x, y - 9, "middle"),
        (x, y + 18, "middle"),
    ]
    for lx, ly, anchor in candidates:
        left = {"start": lx, "end": lx - width, "middle": lx - width / 2}[anchor]
        box = (left, ly - _LABEL_HEIGHT + 3, left + width, ly + 3)
        if not _overlaps(box, taken) and 0 <= left <= WIDTH - width:
            taken.append(box)
            return lx, ly, anchor
    return candidates[0]


def draw_city_map(cities: Sequence[PilotCity], highlight: PilotCity | None = None) -> Markup:
    """An accessible SVG map with a linked, labelled dot per city."""
    # A group, not an img: an img's children are presentational, which would hide the links.
    parts = [
        f'<svg class="city-map" viewBox="0 0 {WIDTH} {HEIGHT}" role="group" '
        f'aria-labelledby="city-map-title" xmlns="http://www.w3.org/2000/svg">',
        '<title id="city-map-title">Map of ASEAN Smart Cities Network pilot cities</title>',
        f'<rect class="sea" width="{WIDTH}" height="{HEIGHT}"/>',
    ]
    for lon in range(95, 130, 5):
        x, _ = project(0, lon)
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{HEIGHT}"/>')
        parts.append(f'<text class="grid-label" x="{x + 2:.1f}" y="{HEIGHT - 4}">{lon}°E</text>')
    for lat in range(-10, 26, 5):
        _, y = project(lat, 0)
        hemisphere = "N" if lat > 0 else ("S" if lat < 0 else "")
        parts.append(f'<line class="grid" x1="0" y1="{y:.1f}" x2="{WIDTH}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="grid-label" x="3" y="{y - 3:.1f}">{abs(lat)}°{hemisphere}</text>'
        )
    points = {city.id: project(city.latitude, city.longitude) for city in cities}
    taken: list = [(x - 6, y - 6, x + 6, y + 6) for x, y in points.values()]
    ordered = sorted(cities, key=lambda c: (c != highlight, -c.latitude))
    for city in ordered:
        x, y = points[city.id]
        lx, ly, anchor = _place_label(x, y, city.name, taken)
        css = "city is-highlighted" if city == highlight else "city"
        href = escape(url_for("cities.city_page", slug=city.slug))
        name = escape(city.name)
        parts.append(
            f'<a href="{href}" class="{css}"><circle cx="{x:.1f}" cy="{y:.1f}" r="5">'
            f"<title>{name}</title></circle>"
            f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}">{name}</text></a>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated string is escaped above
