"""An officer claim is confirmed by one rule, the same in Python and in SQL."""

from __future__ import annotations

import sqlalchemy as sa
from builders import delegate, make_event, open_registration

from amf.cities.models import Officer, PilotCity
from amf.extensions import db
from amf.registration import services
from amf.registration.models import Registration
from amf.registration.tokens import make_verification_token


def test_officer_confirmed_agrees_in_python_and_sql(seeded):
    with seeded.app_context():
        event = open_registration(make_event())
        officers = db.session.scalars(
            sa.select(Officer).join(PilotCity).order_by(Officer.id).limit(4)
        ).all()
        officers[0].email = " Officer.Zero@Example.org "  # stored with case and spaces
        officers[1].email = "officer.one@example.org"
        officers[2].email = None  # no address on record: nobody can prove the claim
        officers[3].email = "officer.three@example.org"
        db.session.commit()
        cases = [
            (officers[0], "officer.zero@example.org", True, True),
            (officers[1], "someone.else@example.org", True, False),
            (officers[2], "anyone@example.org", True, False),
            (officers[3], "officer.three@example.org", False, False),  # not verified yet
        ]
        ids = {}
        for n, (officer, email, verify, _) in enumerate(cases, start=1):
            details = delegate(n, email=email, city_id=officer.city_id, officer_id=officer.id)
            registration = services.submit_registration(event, details)
            if verify:
                services.verify_registration(
                    make_verification_token(
                        registration.id, registration.email, registration.manage_nonce
                    )
                )
            ids[registration.id] = cases[n - 1][3]
        in_sql = dict(
            db.session.execute(
                sa.select(Registration.id, Registration.officer_confirmed).where(
                    Registration.id.in_(ids)
                )
            ).all()
        )
        in_python = {i: db.session.get(Registration, i).officer_confirmed for i in ids}
    assert in_python == ids
    assert {i: bool(v) for i, v in in_sql.items()} == ids
