"""Real processes for the multi-instance and fault tests: gunicorn, mail workers, an HTTP client.

Every process listens on or talks to 127.0.0.1 only, and every wait is bounded.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from smtp_server import free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# How long a process we start may take to become ready: minutes, not seconds, because the
# machine may be busy with other work; a process that is ready returns at once.
READY_TIMEOUT = 180.0
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def app_environment(
    database_url: str, base_url: str, mail_dir: Path, **settings: object
) -> dict[str, str]:
    """Environment for an AMF process: development settings on that database, no rate limits.

    Mail without a MAIL_SERVER is written to ``mail_dir`` (a test's tmp_path), never the
    checkout's instance/mail.
    """
    env = {
        **os.environ,
        "FLASK_APP": "amf",
        "AMF_ENV": "development",
        "SECRET_KEY": "multi-instance-test-secret",
        "DATABASE_URL": database_url,
        "AMF_MAIL_FILE_DIR": str(mail_dir),
        "AMF_BASE_URL": base_url,
        "AMF_PUBLIC_HOST": "amf.test",
        "RATELIMIT_ENABLED": "false",
        "MAIL_DEFAULT_SENDER": "AMF Events <no-reply@amf.test>",
        "MAIL_TIMEOUT": "30",  # a deadline for a loaded machine; our server answers at once
        "PYTHONWARNINGS": "ignore",
    }
    env.update({name: str(value) for name, value in settings.items()})
    return env


class Gunicorn:
    """One application instance: gunicorn on its own loopback port."""

    def __init__(self, env: Mapping[str, str], workers: int = 2, threads: int = 4) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn
            [
                str(BIN / "gunicorn"), "-w", str(workers), "-k", "gthread",
                "--threads", str(threads), "-b", f"127.0.0.1:{self.port}",
                "--graceful-timeout", "5", "--timeout", "30", "--log-level", "warning",
                "amf:create_app()",
            ],
            cwd=ROOT,
            env=dict(env),
        )  # fmt: skip

    def answers(self) -> bool:
        """Whether /healthz answers 200 now; raises if gunicorn has exited."""
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=10):  # noqa: S310
                return True
        except OSError:  # refused while starting, a time-out, or a 503 (HTTPError)
            return False

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Block until /healthz answers, or fail.

        Starting gunicorn's workers imports the whole app in each of them; on a loaded
        machine that can take a minute, so the deadline is generous and only a hang hits it.
        """
        if not wait_until(self.answers, timeout=timeout, interval=0.2):
            raise TimeoutError(f"gunicorn on {self.url} not ready after {timeout}s")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        terminate(self.process)


def start_mail_worker(env: Mapping[str, str], *args: str) -> subprocess.Popen:
    """`flask amf send-mail` as its own process."""
    return subprocess.Popen(  # noqa: S603 - our own CLI
        [str(BIN / "flask"), "amf", "send-mail", *args],
        cwd=ROOT,
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def terminate(process: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a process we started: SIGTERM, wait, SIGKILL."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


class Browser:
    """A cookie-keeping HTTP client (one delegate's browser) that never follows redirects."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, timeout: float = 15) -> None:
        self.timeout = timeout
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), self._NoRedirect()
        )

    def request(self, url: str, data: Mapping[str, str] | None = None) -> tuple[int, str]:
        """GET (or POST a form); the status and body, 4xx and 5xx included."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(url, data=body, timeout=self.timeout) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read().decode("utf-8", "replace")

    def submit_form(self, url: str, data: Mapping[str, str]) -> tuple[int, str]:
        """Fetch the form for its CSRF token, then post it."""
        status, page = self.request(url)
        if status != 200:
            return status, page
        return self.request(url, {**data, "csrf_token": CSRF.search(page).group(1)})


def wait_until(condition, timeout: float, interval: float = 0.1) -> bool:
    """Poll ``condition`` every ``interval`` until it is true or the time is up; its last answer.

    The one polling loop of the suite: tests wait on a condition with a generous deadline,
    never for a fixed time.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)  # the pause between two polls, not a wait for something
    return bool(condition())


@contextmanager
def private_redis() -> Iterator[Path]:
    """A redis-server of our own on a Unix socket (its path is yielded), stopped afterwards.

    Nothing is shared with the machine's Redis, where another copy of the suite may count or
    flush at the same time. Raises FileNotFoundError without the redis-server binary.
    """
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
    directory = Path(tempfile.mkdtemp(prefix="amf-redis-"))  # short: socket paths are limited
    socket_path = directory / "redis.sock"
    process = subprocess.Popen(  # noqa: S603 - the redis-server binary, our arguments
        [binary, "--port", "0", "--unixsocket", str(socket_path), "--dir", str(directory),
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(unix_socket_path=str(socket_path), socket_timeout=10)

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}")
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    try:
        if not wait_until(answers, timeout=READY_TIMEOUT):
            raise TimeoutError(f"redis-server on {socket_path} not ready after {READY_TIMEOUT}s")
        yield socket_path
    finally:
        client.close()
        terminate(process)
        shutil.rmtree(directory, ignore_errors=True)
