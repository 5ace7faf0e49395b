"""Waking idle mail workers the moment there is mail, with PostgreSQL's LISTEN/NOTIFY.

A transaction that queues a message (or a notice run) asks for a wake-up; just before it
commits, one ``NOTIFY amf_mail`` is added to it, and PostgreSQL delivers that to listening
workers only if the commit succeeds. Idle workers wait on ``LISTEN amf_mail`` instead of
sleeping, so mail queued by the web processes is picked up within milliseconds even when
they do not send it themselves (AMF_MAIL_SEND_AFTER_COMMIT off). The poll interval stays as
the fallback: a lost listening connection, or SQLite, just means waiting for the next poll.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from amf.db import before_commit

if TYPE_CHECKING:  # psycopg comes with the `postgres` extra; SQLite installs run without it
    import psycopg

logger = logging.getLogger(__name__)

CHANNEL = "amf_mail"


def request_wakeup(session: Session) -> None:
    """Wake the mail workers when this session's transaction commits."""
    before_commit(session, "mail.wakeup", _notify)


def _notify(session: Session) -> None:
    """One NOTIFY inside the committing transaction; PostgreSQL sends it if the commit holds."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"NOTIFY {CHANNEL}")


class WakeupListener:
    """A worker's own connection listening on the channel; waits end early on a NOTIFY."""

    def __init__(self, url: sa.URL) -> None:
        self.enabled = url.get_backend_name() == "postgresql"
        self.conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._connection: psycopg.Connection | None = None

    def _connect(self) -> psycopg.Connection | None:
        if self._connection is None or self._connection.closed:
            import psycopg  # only PostgreSQL URLs get here, and they need psycopg anyway

            try:
                self._connection = psycopg.connect(self.conninfo, autocommit=True)
                self._connection.execute(f"LISTEN {CHANNEL}")
            except psycopg.Error as exc:
                logger.warning("Mail worker: cannot listen for new mail (%s); polling", exc)
                self._connection = None
        return self._connection

    def start(self) -> None:
        """Listen from now on, so mail queued during the first pass still wakes the worker."""
        if self.enabled:
            self._connect()

    def wait(self, stop: threading.Event, seconds: float) -> None:
        """Return after ``seconds``, when stop is set, or when mail was queued."""
        connection = self._connect() if self.enabled else None
        if connection is None:
            stop.wait(seconds)
            return
        import psycopg  # already loaded by _connect

        deadline = time.monotonic() + seconds
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                # Short slices so a stop request is seen within half a second.
                # A burst of wake-ups costs at most one extra pass that finds nothing.
                for _ in connection.notifies(timeout=min(remaining, 0.5), stop_after=1):
                    return
            except psycopg.Error as exc:
                logger.warning("Mail worker: lost the listening connection (%s)", exc)
                self.close()
                stop.wait(max(deadline - time.monotonic(), 0))
                return

    def close(self) -> None:
        """Stop listening."""
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None
