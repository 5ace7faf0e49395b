"""Member states, pilot cities and Chief Smart City Officers."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amf.db import str_enum
from amf.extensions import db


class OfficerRole(enum.StrEnum):
    """The role an officer holds in the network."""

    CHIEF_SMART_CITY_OFFICER = "csco"

    @property
    def label(self) -> str:
        """Human-readable role name."""
        return {"csco": "Chief Smart City Officer"}[self.value]


class MemberState(db.Model):
    """An ASEAN member state, keyed by its ISO 3166-1 alpha-2 code."""

    __tablename__ = "member_state"

    code: Mapped[str] = mapped_column(sa.String(2), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)

    cities: Mapped[list[PilotCity]] = relationship(
        back_populates="member_state", order_by="PilotCity.name"
    )

    def __repr__(self) -> str:
        return f"<MemberState {self.code}>"


class PilotCity(db.Model):
    """One of the 26 ASEAN Smart Cities Network pilot cities."""

    __tablename__ = "pilot_city"
    __table_args__ = (
        sa.CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        sa.CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    member_state_code: Mapped[str] = mapped_column(
        sa.ForeignKey("member_state.code", ondelete="RESTRICT"), index=True
    )
    timezone: Mapped[str] = mapped_column(sa.String(64))
    latitude: Mapped[float]
    longitude: Mapped[float]

    member_state: Mapped[MemberState] = relationship(back_populates="cities")
    officers: Mapped[list[Officer]] = relationship(
        back_populates="city", order_by="Officer.position"
    )

    def __repr__(self) -> str:
        return f"<PilotCity {self.slug}>"


class Officer(db.Model):
    """A city's Chief Smart City Officer, as the ASCN lists them."""

    __tablename__ = "officer"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable key from the seed file, so a corrected name or designation updates this row.
    ref: Mapped[str] = mapped_column(sa.String(120), unique=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("pilot_city.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=1)
    name: Mapped[str] = mapped_column(sa.String(200))
    # One designation per line: Yangon's officer has two.
    designation: Mapped[str] = mapped_column(sa.Text)
    role: Mapped[OfficerRole] = mapped_column(
        str_enum(OfficerRole, "officer_role"), default=OfficerRole.CHIEF_SMART_CITY_OFFICER
    )
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))

    city: Mapped[PilotCity] = relationship(back_populates="officers")

    @property
    def designation_lines(self) -> list[str]:
        """The designation split into its lines."""
        return [line for line in self.designation.splitlines() if line.strip()]

    def __repr__(self) -> str:
        return f"<Officer {self.ref}>"
