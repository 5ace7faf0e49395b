"""Fixtures for the browser tests: Chromium, a live server with a real SMTP server, pages."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from conftest import close_database, make_app
from flask import Flask
from smtp_server import SMTPTestServer, free_port
from werkzeug.serving import make_server

from amf.extensions import db
from browser.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    Screenshots,
    expect,
    sync_playwright,
)

VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}
BROWSER_TIMEOUT_MS = 60_000


def _unavailable(reason: str) -> None:
    """Skip with the reason; under CI a missing browser is a failure, not a skip."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, headless, driven by Playwright for the whole session."""
    if sync_playwright is None:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    # Deadlines, not delays: a page that is ready passes at once, and a loaded machine
    # (Chromium and the server share two cores with other work) still gets there.
    expect.set_options(timeout=BROWSER_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass(frozen=True)
class LiveServer:
    """The app served over HTTP on loopback, and the SMTP server it sends through."""

    url: str
    app: Flask
    smtp: SMTPTestServer


@pytest.fixture
def live_server(app, database_url, tmp_path, smtp_server) -> Iterator[LiveServer]:
    """The app on http://127.0.0.1:<port>, with the pilot cities and the practice event.

    It shares the suite's database with `app` (tests/conftest.py), whose teardown empties
    every table once this server is stopped and its connections are closed.
    """
    from amf.cities.services import seed_reference_data
    from amf.events.demo import load_practice_event

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    live_app = make_app(
        database_url,
        tmp_path,
        AMF_BASE_URL=url,
        MAIL_SERVER=smtp_server.host,
        MAIL_PORT=smtp_server.port,
        MAIL_TIMEOUT=30,
        MAIL_DEFAULT_SENDER="AMF Events <no-reply@amf.test>",
        WTF_CSRF_ENABLED=True,
    )
    with live_app.app_context():
        seed_reference_data()
        load_practice_event()
        db.session.remove()
    server = make_server("127.0.0.1", port, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url, live_app, smtp_server)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        close_database(live_app)


@pytest.fixture
def screenshots(request) -> Screenshots:
    """Screenshots of this test's steps under test-artifacts/browser/<test>/."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    return Screenshots(request.config.rootpath / "test-artifacts" / "browser" / name)


def _record_console_error(page, message) -> None:
    """Script errors and policy violations; HTTP errors (422 forms, 404 favicon) are expected."""
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        page.problems.append(f"console error: {message.text}")


@pytest.fixture
def open_page(chromium) -> Iterator[Callable]:
    """Open a page in a fresh browser context sized for "phone" or "desktop"."""
    contexts = []

    def open_page(viewport: str = "desktop"):
        context = chromium.new_context(**VIEWPORTS[viewport])
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
        page.on("console", lambda message: _record_console_error(page, message))
        return page

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()
