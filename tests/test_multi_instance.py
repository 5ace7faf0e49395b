"""Two application instances and two mail workers on one PostgreSQL: a rush for the last seats."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from builders import make_event, open_registration
from conftest import migrate_to_head, opened_app, temporary_postgres_database
from live_processes import Browser, Gunicorn, app_environment, start_mail_worker, terminate
from live_processes import wait_until as wait_for

from amf.cities.models import PilotCity
from amf.cities.services import seed_reference_data
from amf.extensions import db
from amf.mail.models import OutboxMessage, OutboxStatus
from amf.registration.models import Registration, RegistrationStatus

pytestmark = pytest.mark.postgres

DELEGATES = 200
SEATS = 50
VERIFY_LINK = re.compile(r"http://amf\.test(/registrations/verify/\S+)")


def _form(n: int, city_id: int) -> dict[str, str]:
    return {
        "given_names": f"Delegate {n}",
        "family_name": "Nguyễn",
        "email": f"rush{n}@example.org",
        "category": "city_official",
        "city": str(city_id),
        "officer_id": "",
        "consent_privacy": "y",
    }


class VerificationLinks:
    """Verification links by address, each received message parsed once whoever asks."""

    def __init__(self, smtp_server) -> None:
        self.smtp_server = smtp_server
        self.seen = 0
        self.links: dict[str, str] = {}
        self.lock = threading.Lock()

    def for_address(self, address: str) -> str | None:
        with self.lock:
            received = self.smtp_server.received
            for item in received[self.seen :]:
                message = item.message
                if message["Subject"].startswith("Please confirm your email"):
                    body = message.get_body(("plain",)).get_content()
                    self.links[item.rcpt_tos[0]] = VERIFY_LINK.search(body).group(1)
            self.seen = len(received)
            return self.links.get(address)


def test_two_instances_and_two_workers_seat_fifty_of_two_hundred(
    postgres_admin_url, smtp_server, tmp_path
):
    with temporary_postgres_database(postgres_admin_url) as url:
        migrate_to_head(url, tmp_path)
        with opened_app(url, tmp_path, AMF_MAIL_SEND_AFTER_COMMIT=False) as setup:
            counts, elapsed = _rush(setup, url, smtp_server, tmp_path)

    assert counts == {RegistrationStatus.CONFIRMED: SEATS, RegistrationStatus.WAITLISTED: 150}
    assert sum(smtp_server.message_id_counts().values()) == len(smtp_server.message_id_counts())
    outcomes: Counter[str] = Counter()
    for received in smtp_server.received:
        subject = received.message["Subject"]
        if subject.startswith(("Registration confirmed", "On the waiting list")):
            (address,) = received.rcpt_tos
            outcomes[address] += 1
    assert sorted(outcomes) == sorted(f"rush{n}@example.org" for n in range(DELEGATES))
    assert set(outcomes.values()) == {1}, "exactly one confirmation-type email per delegate"
    subjects = Counter(r.message["Subject"].split(":")[0] for r in smtp_server.received)
    assert subjects["Registration confirmed"] == SEATS
    assert subjects["On the waiting list"] == DELEGATES - SEATS
    print(f"{DELEGATES} delegates through two instances in {elapsed:.1f} s")


def _rush(setup, url: str, smtp_server, tmp_path) -> tuple[Counter, float]:
    """Two gunicorns and two workers; every delegate registers on one and verifies on the other.

    The deadlines are generous (a loaded machine may take minutes); a working system
    returns as soon as the condition holds.
    """
    with setup.app_context():
        seed_reference_data()
        event = open_registration(make_event(slug="rush-2031"), capacity=SEATS)
        db.session.commit()
        event_id = event.id
        hanoi = db.session.scalar(sa.select(PilotCity.id).where(PilotCity.slug == "hanoi"))

    env = app_environment(
        url,
        "http://amf.test",  # links are followed as paths, on either instance
        tmp_path / "mail",
        MAIL_SERVER=smtp_server.host,
        MAIL_PORT=smtp_server.port,
        AMF_MAIL_POLL_SECONDS=1,
    )
    instances: list[Gunicorn] = []
    workers = []
    try:
        for _ in range(2):
            instances.append(Gunicorn(env))
        workers = [start_mail_worker(env, "--worker-id", f"w{n}") for n in range(2)]
        for instance in instances:
            instance.wait_ready()

        statuses: Counter[int] = Counter()
        lock = threading.Lock()
        start = threading.Barrier(DELEGATES, timeout=300)
        links = VerificationLinks(smtp_server)

        def register(n: int) -> str:
            browser = Browser(timeout=120)
            first, second = instances[n % 2], instances[(n + 1) % 2]
            start.wait()
            status, _ = browser.submit_form(
                f"{first.url}/events/rush-2031/register", _form(n, hanoi)
            )
            with lock:
                statuses[status] += 1
            if status != 303:
                return f"submit {n}: {status}"
            address = f"rush{n}@example.org"
            if not wait_for(lambda: links.for_address(address), timeout=300, interval=0.3):
                return f"no verification email for {address}"
            # Verify on the other instance: the link works whichever one serves it.
            status, _ = browser.request(second.url + links.for_address(address))
            with lock:
                statuses[status] += 1
            return "" if status == 200 else f"verify {n}: {status}"

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=DELEGATES) as pool:
            problems = [p for p in pool.map(register, range(DELEGATES), timeout=900) if p]
        elapsed = time.monotonic() - started
        print(f"rush of {DELEGATES} delegates: {elapsed:.1f} s, {statuses}")
        assert problems == [], problems[:5]
        assert not [code for code in statuses if code >= 500], statuses

        def outbox_drained() -> bool:
            with setup.app_context():
                pending = db.session.scalar(
                    sa.select(sa.func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status != OutboxStatus.SENT)
                )
                db.session.remove()
            return pending == 0 and len(smtp_server.received) >= 2 * DELEGATES

        assert wait_for(outbox_drained, timeout=300, interval=0.5), "outbox not drained"
    finally:
        for process in workers:
            terminate(process)
        for instance in instances:
            instance.stop()

    with setup.app_context():
        counts = Counter(
            db.session.scalars(
                sa.select(Registration.status).where(Registration.event_id == event_id)
            )
        )
    return counts, elapsed
