"""Several workers against one PostgreSQL database send every message exactly once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import sqlalchemy as sa
from conftest import migrate_to_head, opened_app, temporary_postgres_database
from live_processes import wait_until

from amf.extensions import db
from amf.mail.delivery import DeliveryReport, run_worker
from amf.mail.models import OutboxMessage, OutboxStatus
from amf.mail.services import queue_message


@pytest.mark.postgres
def test_two_workers_send_each_of_200_messages_exactly_once(
    postgres_admin_url, tmp_path, smtp_server
):
    settings = dict(
        MAIL_SERVER=smtp_server.host,
        MAIL_PORT=smtp_server.port,
        AMF_MAIL_BATCH_SIZE=5,
        AMF_MAIL_SEND_AFTER_COMMIT=False,
    )
    with temporary_postgres_database(postgres_admin_url) as url:
        migrate_to_head(url, tmp_path)
        with opened_app(url, tmp_path, **settings) as app:
            _two_workers_send_each_once(app, url, tmp_path, settings, smtp_server)


def _two_workers_send_each_once(app, url, tmp_path, settings, smtp_server) -> None:
    """200 messages, two workers started at once, each on its own engine."""
    with app.app_context():
        queued = [
            queue_message(f"delegate{n}@example.com", f"Message {n}", "Body").message_id
            for n in range(200)
        ]
        db.session.commit()

    smtp_server.handler.delay = 0.002  # keep both workers busy at the same time
    start = threading.Barrier(2)
    reports: dict[str, DeliveryReport] = {}
    errors: list[BaseException] = []

    def work(name: str, worker_app) -> None:
        try:
            with worker_app.app_context():
                start.wait()
                reports[name] = run_worker(once=True, worker_id=name)
        except BaseException as exc:
            errors.append(exc)

    # Each worker has its own app, engine and pool, made here, one after the other: building
    # apps in two threads at once can trip CPython 3.11's compile() of Werkzeug's URL rules
    # ("SystemError: AST constructor recursion depth mismatch").
    with (
        opened_app(url, tmp_path, **settings) as first,
        opened_app(url, tmp_path, **settings) as second,
    ):
        threads = [
            threading.Thread(target=work, args=(name, worker_app))
            for name, worker_app in (("w1", first), ("w2", second))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)

    assert errors == []
    assert smtp_server.message_id_counts() == Counter(dict.fromkeys(queued, 1))
    assert reports["w1"].sent + reports["w2"].sent == 200
    assert reports["w1"].sent > 0 and reports["w2"].sent > 0
    with app.app_context():
        rows = db.session.execute(
            sa.select(OutboxMessage.status, OutboxMessage.claimed_by, OutboxMessage.attempts)
        ).all()
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    assert {row.attempts for row in rows} == {1}
    assert Counter(row.claimed_by for row in rows) == {
        "w1": reports["w1"].sent,
        "w2": reports["w2"].sent,
    }


@pytest.mark.postgres
def test_an_idle_worker_wakes_when_a_commit_queues_mail(postgres_admin_url, tmp_path, smtp_server):
    """LISTEN/NOTIFY: with a 5-minute poll, the message still goes out at once."""
    settings = dict(
        MAIL_SERVER=smtp_server.host,
        MAIL_PORT=smtp_server.port,
        AMF_MAIL_SEND_AFTER_COMMIT=False,
    )
    with temporary_postgres_database(postgres_admin_url) as url:
        migrate_to_head(url, tmp_path)
        with opened_app(url, tmp_path, **settings) as app:
            _an_idle_worker_wakes(app, url, tmp_path, settings, smtp_server)


def _an_idle_worker_wakes(app, url, tmp_path, settings, smtp_server) -> None:
    """A worker polling every 300 s sends a message committed while it idles, well before."""
    stop, passes, idle = threading.Event(), [], threading.Event()

    def on_pass(report: DeliveryReport) -> None:
        passes.append(report.sent)
        idle.set()

    def work(worker_app) -> None:
        with worker_app.app_context():
            run_worker(stop=stop, poll_seconds=300, on_pass=on_pass)

    # The worker's own app is made in this thread (see the test above), then run in its own.
    with opened_app(url, tmp_path, **settings) as worker_app:
        worker = threading.Thread(target=work, args=(worker_app,))
        worker.start()
        try:
            assert idle.wait(120), "the worker never finished its first pass"
            with app.app_context():
                queue_message("delegate@example.com", "Wake up", "Body")
                db.session.rollback()  # a rolled-back message wakes nobody and is not sent
                message_id = queue_message("delegate@example.com", "Woken", "Body").message_id
                db.session.commit()
            # Well within the 300 s poll: only the NOTIFY can have woken the worker.
            wait_until(lambda: smtp_server.received, timeout=120)
        finally:
            stop.set()
            worker.join(timeout=60)
    assert not worker.is_alive()
    assert smtp_server.message_id_counts() == Counter({message_id: 1})
    assert passes[0] == 0 and sum(passes) == 1
