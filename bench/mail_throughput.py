"""Time one mail worker draining N queued messages into a local aiosmtpd server.

    .venv/bin/python bench/mail_throughput.py --messages 2000
    .venv/bin/python bench/mail_throughput.py --database-url postgresql://postgres@127.0.0.1/amf_bench

A PostgreSQL database named by --database-url must exist and may be emptied of outbox rows.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from common import free_port
from flask_migrate import upgrade

from amf import create_app
from amf.extensions import db
from amf.mail.delivery import run_worker
from amf.mail.models import OutboxMessage
from amf.mail.services import queue_message


class CountingHandler:
    """Accepts every message and counts it."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self.count += 1
        return "250 OK"


def main() -> None:
    """Queue, drain, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()

    handler = CountingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = create_app(
            {
                "AMF_ENV": "testing",
                "SQLALCHEMY_DATABASE_URI": url,
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": port,
                "AMF_MAIL_SEND_AFTER_COMMIT": False,
                "AMF_MAIL_BATCH_SIZE": args.batch_size,
                "AMF_MAIL_FILE_DIR": str(Path(tmp) / "mail"),
            }
        )
        try:
            with app.app_context():
                upgrade()
                db.session.execute(sa.delete(OutboxMessage))
                for n in range(args.messages):
                    queue_message(
                        (f"Nguyễn Đức Chung {n}", f"delegate{n}@example.com"),
                        f"Benchmark message {n}",
                        "Xin chào! กรุงเทพมหานคร · ရန်ကုန်\n" * 10,
                        "<p>Xin chào! กรุงเทพมหานคร · ရန်ကုန်</p>" * 10,
                    )
                db.session.commit()
                started = time.perf_counter()
                report = run_worker(once=True, worker_id="bench")
                elapsed = time.perf_counter() - started
                db.session.remove()
                db.engine.dispose()
        finally:
            controller.stop()
    dialect = sa.make_url(url).get_backend_name()
    print(
        f"{report.sent} messages sent ({handler.count} received) in {elapsed:.2f} s by one worker "
        f"on {dialect}, batch {args.batch_size}: {report.sent / elapsed:.0f} messages/s"
    )


if __name__ == "__main__":
    main()
