"""What the browser tests share: Playwright when installed, screenshots, mail and links."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

try:  # absent, the tests skip (or fail under CI) in the `chromium` fixture
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    Page = expect = sync_playwright = None  # type: ignore[assignment,misc]

try:
    from axe_playwright_python.sync_playwright import Axe
except ImportError:  # pragma: no cover - depends on the environment
    Axe = None  # type: ignore[assignment,misc]

from live_processes import wait_until
from smtp_server import SMTPTestServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
_URL = re.compile(r"https?://[^\s<>\"']+")


class Screenshots:
    """Numbered full-page screenshots of one test's steps: 01-home.png, 02-event.png, ..."""

    def __init__(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.folder = folder
        self.count = 0

    def take(self, page: Page, step: str) -> Path:
        """Save what the page shows now."""
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def wait_for_message(
    smtp: SMTPTestServer, matches: Callable[[EmailMessage], bool], timeout: float = 60
) -> EmailMessage:
    """The first message the SMTP server received that matches, waiting for it to arrive."""
    found: list[EmailMessage] = []

    def arrived() -> bool:
        found[:] = [item.message for item in smtp.received if matches(item.message)][:1]
        return bool(found)

    if not wait_until(arrived, timeout=timeout, interval=0.05):
        subjects = [item.message["Subject"] for item in smtp.received]
        raise AssertionError(f"No matching email within {timeout}s; received: {subjects}")
    return found[0]


def text_body(message: EmailMessage) -> str:
    """The plain-text part of a message."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, f"{message['Subject']!r} has no text part"
    return part.get_content()


def link_in(message: EmailMessage, base_url: str, path_pattern: str) -> str:
    """The one link in the text body to this server whose path matches the pattern."""
    pattern = re.compile(re.escape(base_url) + path_pattern + "$")
    links = {url for url in _URL.findall(text_body(message)) if pattern.match(url)}
    assert len(links) == 1, f"Expected one {path_pattern} link in {message['Subject']!r}: {links}"
    return links.pop()
