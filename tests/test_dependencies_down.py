"""Redis down and a mail relay refusing one message: everything else keeps working, and says so.

The test starts and stops its own Redis (never the machine's shared one) and its own SMTP
server; the app counts rate limits per process while Redis is gone (Flask-Limiter's
in-memory fallback), logs that once, and /healthz names the degraded part.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest
import redis
import sqlalchemy as sa
from builders import make_event, open_registration
from conftest import close_database, make_app
from live_processes import wait_until
from organiser_support import PASSWORD, csrf_from, make_user
from smtp_server import free_port
from test_registration_flow import form_for, links_in, post_registration

from amf.extensions import db
from amf.mail.delivery import deliver_messages
from amf.mail.models import OutboxMessage, OutboxStatus


class PrivateRedis:
    """A redis-server of our own on a free port, without persistence."""

    def __init__(self, directory) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(  # noqa: S603 - our own server binary
            [
                shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=1)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        try:
            ready = wait_until(
                lambda: answers() or self.process.poll() is not None, timeout=120, interval=0.05
            )
            if not ready or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"private redis-server on port {self.port} did not start")
        finally:
            client.close()

    def stop(self) -> None:
        """Stop the server and wait until it is gone."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have redis-server (Debian package redis-server)")
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def limited_app(app, database_url, tmp_path, private_redis, smtp_server, seeded):
    """An app counting rate limits in the private Redis and sending through the SMTP server."""
    limited = make_app(
        database_url,
        tmp_path,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=private_redis.url,
        AMF_FORM_RATE_LIMIT="1000 per minute",
        AMF_LOGIN_RATE_LIMIT="4 per minute",
        MAIL_SERVER=smtp_server.host,
        MAIL_PORT=smtp_server.port,
        MAIL_TIMEOUT=5,
        MAIL_DEFAULT_SENDER="AMF Events <no-reply@amf.test>",
        AMF_MAIL_SEND_AFTER_COMMIT=False,  # the worker sends, as in production
    )
    with limited.app_context():
        open_registration(make_event(slug="rush", title="Rush forum"))
        db.session.commit()
    try:
        yield limited
    finally:
        close_database(limited)


def _sign_in(client, password=PASSWORD):
    token = csrf_from(client, "/organiser/login")
    return client.post(
        "/organiser/login",
        data={"email": "admin@amf.test", "password": password, "csrf_token": token},
    )


def test_redis_down_registration_and_sign_in_keep_working_and_healthz_says_so(
    limited_app, private_redis, caplog
):
    make_user(limited_app)
    client = limited_app.test_client()
    health = client.get("/healthz").get_json()
    assert health == {"status": "ok", "database": "ok", "rate_limits": "ok"}
    assert post_registration(client, "rush", form_for(limited_app, 1)).status_code == 303

    private_redis.stop()
    caplog.set_level(logging.WARNING)
    for n in range(2, 5):
        assert post_registration(client, "rush", form_for(limited_app, n)).status_code == 303
    assert _sign_in(client).status_code == 303
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.get_json()["status"] == "degraded"
    assert health.get_json()["rate_limits"].startswith("degraded")
    falling_back = [r for r in caplog.records if "in-memory" in r.getMessage()]
    assert len(falling_back) == 1, [r.getMessage() for r in falling_back]

    # The limits still hold, counted in this process: the 4-a-minute sign-in limit bites.
    answers = [_sign_in(limited_app.test_client(), "wrong password!").status_code for _ in range(5)]
    assert 429 in answers and 500 not in answers


def test_a_rush_with_redis_down_and_one_refused_address_delivers_every_other_email_once(
    limited_app, private_redis, smtp_server
):
    private_redis.stop()
    refused = "refused@example.org"
    smtp_server.refuse(refused, "550 5.1.1 No such user here")
    delegates = [f"delegate{n}@example.org" for n in range(12)]
    client = limited_app.test_client()
    for n, address in enumerate([refused, *delegates]):
        response = post_registration(client, "rush", form_for(limited_app, n, email=address))
        assert response.status_code == 303, response.text
    with limited_app.app_context():
        first = deliver_messages()
    assert (first.sent, first.retrying, first.failed) == (len(delegates), 0, 1)

    for address in delegates:  # each delegate follows the link in their email
        [message] = [r.message for r in smtp_server.received if address in r.rcpt_tos]
        [verify] = [link for link in links_in(message) if "/verify/" in link]
        assert client.get(verify).status_code == 200
    with limited_app.app_context():
        second = deliver_messages()
        statuses = dict(
            db.session.execute(
                sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
            ).all()
        )
    assert second.sent == len(delegates)
    counts = smtp_server.message_id_counts()
    assert len(counts) == 2 * len(delegates) and set(counts.values()) == {1}
    per_delegate = {a: sum(a in r.rcpt_tos for r in smtp_server.received) for a in delegates}
    assert per_delegate == dict.fromkeys(delegates, 2)  # verification and confirmation
    assert statuses == {OutboxStatus.SENT: 2 * len(delegates), OutboxStatus.FAILED: 1}


def test_instances_share_built_feeds_through_redis_and_build_their_own_without_it(
    app, database_url, tmp_path, private_redis, seeded
):
    from builders import delegate, make_session

    from amf.calendar.cache import document_cache
    from amf.registration import services

    with app.app_context():
        event = open_registration(make_event(slug="shared"))
        make_session(event, title="Opening")
        db.session.commit()
    instances = [
        make_app(database_url, tmp_path, CACHE_TYPE="RedisCache", CACHE_REDIS_URL=private_redis.url)
        for _ in range(2)
    ]
    try:
        first, second = (instance.test_client() for instance in instances)
        built = first.get("/events/shared/calendar.ics")
        with instances[0].app_context():  # a registration rush commits; the feed stays built
            for n in range(5):
                services.submit_registration(db.session.get(type(event), event.id), delegate(n))
        again = first.get("/events/shared/calendar.ics")
        shared = second.get("/events/shared/calendar.ics")
        assert built.data == again.data == shared.data and b"Opening" in shared.data
        builds = []
        for instance in instances:
            with instance.app_context():
                builds.append(document_cache().builds)
        assert builds == [1, 0]  # the second instance took the first one's feed from Redis
        assert second.get("/healthz").get_json()["cache"] == "ok"

        private_redis.stop()
        third = make_app(
            database_url, tmp_path, CACHE_TYPE="RedisCache", CACHE_REDIS_URL=private_redis.url
        )
        instances.append(third)
        alone = third.test_client().get("/events/shared/calendar.ics")
        assert alone.status_code == 200 and alone.data == built.data
        health = third.test_client().get("/healthz")
        assert health.status_code == 200
        assert health.get_json()["status"] == "degraded"
        assert health.get_json()["cache"].startswith("degraded")
    finally:
        for instance in instances:
            close_database(instance)
