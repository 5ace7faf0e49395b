"""The pilot cities and officers delegates choose from, kept per worker as plain values.

Every registration form and every post of one offers the 26 cities grouped by member state
with their officers. That list changes only when `flask amf seed` runs, so each worker
reads it once and keeps it as frozen values (never ORM objects, which belong to one
request's session) for REFERENCE_TTL_SECONDS. A commit in this worker that changes a
member state, city or officer drops it at once; another process's change (a seed run)
shows within the TTL.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from amf.db import after_commit_of

REFERENCE_TTL_SECONDS = 60
_EXTENSION_KEY = "amf_delegation_choices"


@dataclass(frozen=True)
class OfficerChoice:
    """An officer a delegate can say they are."""

    id: int
    name: str
    designation_lines: tuple[str, ...]


@dataclass(frozen=True)
class CityChoice:
    """A pilot city and its officers."""

    id: int
    name: str
    officers: tuple[OfficerChoice, ...]


@dataclass(frozen=True)
class StateChoice:
    """A member state and its pilot cities."""

    name: str
    cities: tuple[CityChoice, ...]


def delegation_choices() -> tuple[StateChoice, ...]:
    """Member states by name, each with its cities and their officers."""
    entry = current_app.extensions.get(_EXTENSION_KEY)
    now = time.monotonic()
    if entry is None or entry[0] <= now:
        entry = (now + REFERENCE_TTL_SECONDS, _read_choices())
        current_app.extensions[_EXTENSION_KEY] = entry
    return entry[1]


def _read_choices() -> tuple[StateChoice, ...]:
    from amf.cities.services import list_member_states_with_cities

    return tuple(
        StateChoice(
            state.name,
            tuple(
                CityChoice(
                    city.id,
                    city.name,
                    tuple(
                        OfficerChoice(o.id, o.name, tuple(o.designation_lines))
                        for o in city.officers
                    ),
                )
                for city in state.cities
            ),
        )
        for state in list_member_states_with_cities()
    )


def _drop_choices(session: Session) -> None:
    if has_app_context():
        current_app.extensions.pop(_EXTENSION_KEY, None)


def install_choice_invalidation() -> None:
    """Drop the kept choices after a commit that changed the reference data (idempotent)."""
    from amf.cities.models import MemberState, Officer, PilotCity

    after_commit_of((MemberState, PilotCity, Officer), "cities.choices", _drop_choices)
