"""Loading the pilot-city reference data and reading it for the pages."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from amf.cities.models import MemberState, Officer, PilotCity
from amf.extensions import db
from amf.timezones import utc_offset_label

DATA_FILE = "ascn_pilot_cities.json"


@dataclass
class SeedReport:
    """What a seed run found and changed."""

    member_states: int = 0
    cities: int = 0
    officers: int = 0
    created: int = 0
    updated: int = 0


def load_seed_file() -> dict[str, Any]:
    """The shipped ASCN data file, parsed."""
    text = resources.files("amf.cities").joinpath("data", DATA_FILE).read_text("utf-8")
    return json.loads(text)


def _upsert(model: type, key: dict[str, Any], values: dict[str, Any], report: SeedReport):
    """Insert the row with this key, or update the fields that differ."""
    row = db.session.scalars(sa.select(model).filter_by(**key)).one_or_none()
    if row is None:
        row = model(**key, **values)
        db.session.add(row)
        report.created += 1
        return row
    changed = False
    for field, value in values.items():
        if getattr(row, field) != value:
            setattr(row, field, value)
            changed = True
    report.updated += changed
    return row


def seed_reference_data(data: dict[str, Any] | None = None) -> SeedReport:
    """Create or update member states, cities and officers from the data file; idempotent."""
    data = data if data is not None else load_seed_file()
    report = SeedReport()
    with db.session.no_autoflush:
        for state in data["member_states"]:
            _upsert(MemberState, {"code": state["code"]}, {"name": state["name"]}, report)
            report.member_states += 1
        db.session.flush()
        for city_data in data["cities"]:
            city = _upsert(
                PilotCity,
                {"slug": city_data["slug"]},
                {
                    "name": city_data["name"],
                    "member_state_code": city_data["member_state"],
                    "timezone": city_data["timezone"],
                    "latitude": city_data["latitude"],
                    "longitude": city_data["longitude"],
                },
                report,
            )
            report.cities += 1
            db.session.flush()
            for position, officer in enumerate(city_data["officers"], start=1):
                _upsert(
                    Officer,
                    {"ref": officer["ref"]},
                    {
                        "city_id": city.id,
                        "position": position,
                        "name": officer["name"],
                        "designation": "\n".join(officer["designation"]),
                    },
                    report,
                )
                report.officers += 1
    db.session.commit()
    return report


def list_member_states_with_cities() -> list[MemberState]:
    """Member states in name order, each with its cities and their officers loaded."""
    return list(
        db.session.scalars(
            sa.select(MemberState)
            .order_by(MemberState.name)
            .options(selectinload(MemberState.cities).selectinload(PilotCity.officers))
        )
    )


def list_cities() -> list[PilotCity]:
    """All pilot cities with their member state, by member state then city name."""
    return list(
        db.session.scalars(
            sa.select(PilotCity)
            .join(PilotCity.member_state)
            .order_by(MemberState.name, PilotCity.name)
            .options(selectinload(PilotCity.member_state))
        )
    )


def get_city(slug: str) -> PilotCity | None:
    """One city by slug, with its member state and officers."""
    return db.session.scalars(
        sa.select(PilotCity)
        .where(PilotCity.slug == slug)
        .options(selectinload(PilotCity.member_state), selectinload(PilotCity.officers))
    ).one_or_none()


def timezone_choices(cities: list[PilotCity]) -> list[tuple[str, str]]:
    """One choice per IANA zone the cities use, labelled with its cities, by UTC offset."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    by_zone: dict[str, list[str]] = {}
    for city in cities:
        by_zone.setdefault(city.timezone, []).append(city.name)
    now = datetime.now(ZoneInfo("UTC"))
    offsets = {zone: now.astimezone(ZoneInfo(zone)).utcoffset() for zone in by_zone}
    return [
        (zone, f"{', '.join(sorted(names))} ({utc_offset_label(offsets[zone])})")
        for zone, names in sorted(by_zone.items(), key=lambda item: (offsets[item[0]], item[0]))
    ]
