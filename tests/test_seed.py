"""The pilot cities and officers are loaded faithfully from the seed, and seeding is idempotent."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from amf.cities.models import MemberState, Officer, PilotCity
from amf.cities.services import load_seed_file, seed_reference_data
from amf.extensions import db

# The ASEAN Smart Cities Network page the seed is transcribed from (see tests/fixtures/README.md).
SEED_PAGE = Path(__file__).resolve().parent / "fixtures" / "seeds" / "ascn_pilot_cities_page.txt"


def _officers_by_name():
    return {
        o.name: o
        for o in db.session.scalars(sa.select(Officer).options(sa.orm.selectinload(Officer.city)))
    }


def test_seed_loads_26_cities_in_10_member_states(seeded):
    with seeded.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PilotCity)) == 26
        states = db.session.scalars(sa.select(MemberState.name).order_by(MemberState.name)).all()
        assert states == [
            "Brunei Darussalam",
            "Cambodia",
            "Indonesia",
            "Lao PDR",
            "Malaysia",
            "Myanmar",
            "Philippines",
            "Singapore",
            "Thailand",
            "Viet Nam",
        ]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Officer)) == 28


@pytest.mark.parametrize(
    ("officer", "city", "designation"),
    [
        (
            "Tantinny Fung Chew Li",
            "Kota Kinabalu",
            "Town Planner, City Planning Department, Dewan Bandaraya Kota Kinabalu",
        ),
        (
            "Stanley Chong Hon Chung",
            "Kota Kinabalu",
            "Director of City Planning Department, Dewan Bandaraya Kota Kinabalu",
        ),
        ("Nguyen Duc Chung", "Hanoi", "Chairman, Hanoi People's Committee"),
        (
            "Mgen Benito Antonio T De Leon Afp",
            "Davao City",
            "Head Public Safety and Security Command Center",
        ),
        ("Rowena Henedine Dominguez-Narajos", "Davao City", "Information Technology Officer II"),
        (
            "Tin Tin Kyi",
            "Yangon",
            "Director of Urban Planning Division\n"
            "Representative, Yangon City Development Committee",
        ),
        (
            "Tan Chee Hau",
            "Singapore",
            "Director(Planning & Prioritisation) Smart Nation and Digital Government Office, "
            "Prime Minister's Office",
        ),
        (
            "Haji Ali Matyassin",
            "Bandar Seri Begawan",
            "Chairman, Bandar Seri Begawan Municipal Department",
        ),
    ],
)
def test_officer_has_the_seed_city_and_designation(seeded, officer, city, designation):
    with seeded.app_context():
        row = _officers_by_name()[officer]
        assert row.city.name == city
        assert row.designation == designation
        assert row.role.label == "Chief Smart City Officer"
        assert row.email is None and row.phone is None


@pytest.mark.parametrize(
    ("city", "state", "zone"),
    [
        ("Makassar", "ID", "Asia/Makassar"),
        ("DKI Jakarta", "ID", "Asia/Jakarta"),
        ("Kota Kinabalu", "MY", "Asia/Kuching"),
        ("Kuching", "MY", "Asia/Kuching"),
        ("Yangon", "MM", "Asia/Yangon"),
        ("Luang Prabang", "LA", "Asia/Vientiane"),
        ("Ho Chi Minh City", "VN", "Asia/Ho_Chi_Minh"),
    ],
)
def test_city_has_member_state_and_time_zone(seeded, city, state, zone):
    with seeded.app_context():
        row = db.session.scalars(sa.select(PilotCity).where(PilotCity.name == city)).one()
        assert (row.member_state_code, row.timezone) == (state, zone)


def test_every_name_and_designation_line_is_verbatim_in_the_seed_page():
    page = SEED_PAGE.read_text("utf-8")
    data = load_seed_file()
    for city in data["cities"]:
        assert city["name"] in page
        for officer in city["officers"]:
            assert officer["name"] in page
            for line in officer["designation"]:
                assert line in page, line
    listed = [line.split(" ")[0] for line in page.splitlines()]
    assert len(data["cities"]) == 26 and len(listed) > 26


def test_seeding_twice_changes_nothing(seeded, runner):
    with seeded.app_context():
        before = [
            (o.ref, o.name, o.designation, o.city_id)
            for o in db.session.scalars(sa.select(Officer).order_by(Officer.id))
        ]
    result = runner.invoke(args=["amf", "seed"])
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated" in result.output
    with seeded.app_context():
        after = [
            (o.ref, o.name, o.designation, o.city_id)
            for o in db.session.scalars(sa.select(Officer).order_by(Officer.id))
        ]
    assert after == before


def test_corrected_designation_in_data_file_updates_the_row(seeded):
    data = copy.deepcopy(load_seed_file())
    hanoi = next(c for c in data["cities"] if c["slug"] == "hanoi")
    hanoi["officers"][0]["designation"] = ["Chairman, Hanoi People's Committee (corrected)"]
    with seeded.app_context():
        officer_id = _officers_by_name()["Nguyen Duc Chung"].id
        report = seed_reference_data(data)
        assert (report.created, report.updated) == (0, 1)
        db.session.expire_all()
        row = db.session.get(Officer, officer_id)
        assert row.designation == "Chairman, Hanoi People's Committee (corrected)"


def test_data_file_is_valid_utf8_json_with_every_field():
    data = load_seed_file()
    json.dumps(data)
    for city in data["cities"]:
        assert {"slug", "name", "member_state", "timezone", "latitude", "longitude"} <= city.keys()
        assert -11 < city["latitude"] < 25 and 92 < city["longitude"] < 130
        assert city["officers"], city["name"]
