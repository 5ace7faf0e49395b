"""Load benchmark: public pages, feeds and the registration flow under gunicorn on PostgreSQL.

    .venv/bin/python bench/load.py             # writes its section into bench/README.md
    .venv/bin/python bench/load.py --quick     # short runs, nothing written

Needs a PostgreSQL server (AMF_BENCH_POSTGRES_URL, default postgres@127.0.0.1:5432) on which
it creates a temporary database and drops it afterwards, and `wrk`. Everything talks to
127.0.0.1. Each page is measured beside /minimal, a bare Flask endpoint served by the same
gunicorn (bench/calendar_feed.py's dispatcher), and reported as a ratio to it. The web
processes queue mail without sending it, as in production; after the registration runs one
mail worker drains the outbox and the report says how long that took and that nothing was left.

Workers: 4 sync workers for 2 cores. Requests are CPU-bound Python with short waits on
PostgreSQL, so two per core keep both cores busy while one worker waits on the database;
more would add memory and per-worker caches (feeds, versions) without more CPU to run them.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import sqlalchemy as sa  # noqa: E402
from common import write_readme_section  # noqa: E402

WORKERS = 4
PAIRS = 3  # runs of each page, each paired with its own /minimal run
ADMIN_URL = os.environ.get(
    "AMF_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


class TemporaryDatabase:
    """A PostgreSQL database created for the run and dropped after it."""

    def __init__(self, admin_url: str) -> None:
        self.admin = sa.create_engine(
            sa.make_url(admin_url).set(drivername="postgresql+psycopg"),
            isolation_level="AUTOCOMMIT",
        )
        self.name = f"amf_bench_{uuid.uuid4().hex[:10]}"
        self.url = self.admin.url.set(database=self.name).render_as_string(hide_password=False)

    def __enter__(self) -> str:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        return self.url

    def __exit__(self, *exc) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def _app(url: str, mail_dir: Path, **overrides):
    from amf import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "AMF_ENV": "development",
            "AMF_MAIL_FILE_DIR": str(mail_dir),
            "SECRET_KEY": "bench-secret",
            **overrides,
        }
    )


def prepare(url: str, mail_dir: Path) -> dict[str, str]:
    """Migrate, seed, and create the events: 10, 300 and 1,000 sessions, one open for sign-up."""
    from datetime import timedelta

    from flask_migrate import upgrade

    from amf.cities.services import seed_reference_data
    from amf.db import utcnow
    from amf.events.demo import generate_synthetic_events
    from amf.extensions import db

    app = _app(url, mail_dir)
    with app.app_context():
        upgrade()
        seed_reference_data()
        slugs = {size: generate_synthetic_events(1, size)[0].slug for size in (10, 300, 1_000)}
        event = generate_synthetic_events(1, 10)[0]
        event.registration_opens_at = utcnow() - timedelta(days=1)
        event.registration_closes_at = utcnow() + timedelta(days=30)
        event.capacity = None
        db.session.commit()
        slugs["open"] = event.slug
        db.session.remove()
        db.engine.dispose()
    return {str(key): value for key, value in slugs.items()}


def count_page_queries(url: str, mail_dir: Path, slugs: dict[str, str]) -> dict[str, dict]:
    """SQL statements per page at 10 and 1,000 sessions, in-process, caches cleared."""
    from amf.calendar.cache import document_cache, stamp_memo
    from amf.extensions import db
    from amf.main.page_cache import rendered_page_cache

    app = _app(url, mail_dir, AMF_SHARED_PAGE_TTL_SECONDS=0)  # what a page costs to build
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    client = app.test_client()
    results: dict[str, dict] = {}
    for size in ("10", "1000"):
        slug = slugs[size]
        for page, path in (
            ("event page", f"/events/{slug}/"),
            ("agenda", f"/events/{slug}/agenda"),
            ("calendar feed (cold)", f"/events/{slug}/calendar.ics"),
            ("speakers", f"/events/{slug}/speakers/"),
        ):
            with app.app_context():
                document_cache().clear()
                stamp_memo().clear()
            client.get(path)  # warm-up (per-process lookups such as the city list)
            with app.app_context():
                document_cache().clear()
                stamp_memo().clear()
                rendered_page_cache().clear()
            statements.clear()
            status = client.get(path).status_code
            results.setdefault(page, {})[size] = (len(statements), status)
    with app.app_context():
        db.engine.dispose()
    return results


def _wrk(url: str, seconds: int, headers: dict[str, str] | None = None) -> dict[str, float]:
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout

    def latency(percent: str) -> float:
        value, unit = re.search(rf"\s{percent}%\s+([\d.]+)(us|ms|s)\b", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


class Server:
    """gunicorn serving AMF and /minimal (bench/calendar_feed.py's dispatcher)."""

    def __init__(self, url: str, mail_dir: Path) -> None:
        with __import__("socket").socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = {
            **os.environ,
            "AMF_BENCH_WSGI": "1",
            "DATABASE_URL": url,
            "AMF_ENV": "development",
            "SECRET_KEY": "bench-secret",
            "AMF_MAIL_FILE_DIR": str(mail_dir),
            "RATELIMIT_ENABLED": "false",
            # As in production: requests queue mail, the workers send it (see drain_outbox).
            "AMF_MAIL_SEND_AFTER_COMMIT": "false",
        }
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "--chdir", str(ROOT / "bench"),
                "-w", str(WORKERS), "-k", "sync", "-b", f"127.0.0.1:{self.port}",
                "--log-level", "warning", "calendar_feed:application",
            ],
            env=env,
        )  # fmt: skip
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{self.base}/minimal", timeout=1).read()  # noqa: S310
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def measure_pages(server: Server, slugs: dict[str, str], seconds: int) -> dict[str, dict]:
    """wrk against each page, every page warmed up first, paired with /minimal.

    The machine is shared and its speed drifts by tens of percent from one run to the next,
    so each page is run PAIRS times, each right after its own /minimal run; its ratio is the
    median of those paired ratios (and its other figures those of the median run).
    """
    base, slug = server.base, slugs["300"]
    pages = {
        "event page (300 sessions)": (f"{base}/events/{slug}/", None),
        "agenda, 300 sessions": (f"{base}/events/{slug}/agenda", None),
        "calendar feed, cached": (f"{base}/events/{slug}/calendar.ics", None),
    }
    for url, _ in pages.values():
        for _ in range(WORKERS * 3):
            urllib.request.urlopen(url, timeout=30).read()  # noqa: S310 - our local server
    with urllib.request.urlopen(pages["calendar feed, cached"][0], timeout=30) as response:  # noqa: S310
        etag = response.headers["ETag"]
    pages["calendar feed, 304"] = (pages["calendar feed, cached"][0], {"If-None-Match": etag})
    # A visitor with a session cookie (signed in, or mid-registration) gets a page rendered
    # for them: the same two pages through Flask (the agenda from its page cache).
    session = {"Cookie": "session=bench-visitor"}
    for name in ("event page (300 sessions)", "agenda, 300 sessions"):
        pages[f"{name}, with a session"] = (pages[name][0], session)
    results: dict[str, dict] = {}
    minimal_runs = []
    for name, (url, headers) in pages.items():
        runs = []
        for _ in range(PAIRS):
            reference = _wrk(f"{base}/minimal", seconds)
            run = _wrk(url, seconds, headers)
            minimal_runs.append(reference)
            runs.append({**run, "ratio": run["rps"] / reference["rps"]})
        runs.sort(key=lambda r: r["ratio"])
        results[name] = runs[len(runs) // 2]
    minimal_runs.sort(key=lambda r: r["rps"])
    results["minimal"] = minimal_runs[len(minimal_runs) // 2]
    return results


def measure_registrations(
    server: Server, url: str, slug: str, seconds: int, threads: int
) -> dict[str, float]:
    """Delegates through GET form -> POST -> verify, from a pool of Python clients.

    The verification token is built here (same SECRET_KEY) from the new registration's id,
    looked up outside the timed part; the Python generator shares the 2 cores with the server.
    """
    from live_processes import Browser

    from amf import create_app
    from amf.registration.tokens import make_verification_token

    signer = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret"})
    engine = sa.create_engine(sa.make_url(url), pool_size=threads)
    with engine.connect() as conn:
        city = conn.execute(sa.text("SELECT id FROM pilot_city ORDER BY id LIMIT 1")).scalar()
    flows: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    counter = iter(range(10**9))

    def client() -> None:
        try:
            run_client()
        except Exception as exc:  # a thread's error must show in the report, not vanish
            with lock:
                failures.append(f"client error: {exc!r}")

    def run_client() -> None:
        browser = Browser(timeout=10)
        while time.monotonic() < deadline:
            n = next(counter)
            email = f"load{n}-{uuid.uuid4().hex[:6]}@example.org"
            form = {
                "given_names": f"Delegate {n}",
                "email": email,
                "category": "city_official",
                "city": str(city),
                "officer_id": "",
                "consent_privacy": "y",
            }
            started = time.perf_counter()
            status, _ = browser.submit_form(f"{server.base}/events/{slug}/register", form)
            submitted = time.perf_counter() - started
            if status != 303:
                with lock:
                    failures.append(f"submit {status}")
                continue
            with engine.connect() as conn:
                registration_id, nonce = conn.execute(
                    sa.text("SELECT id, manage_nonce FROM registration WHERE email = :e"),
                    {"e": email},
                ).one()
            with signer.app_context():
                token = make_verification_token(registration_id, email, nonce)
            started = time.perf_counter()
            status, _ = browser.request(f"{server.base}/registrations/verify/{token}")
            elapsed = submitted + time.perf_counter() - started
            with lock:
                if status == 200:
                    flows.append(elapsed * 1000)
                else:
                    failures.append(f"verify {status}")

    def minimal_client(counts: list[int]) -> None:
        browser, done = Browser(timeout=10), 0
        while time.monotonic() < deadline:
            browser.request(f"{server.base}/minimal")
            done += 1
        counts.append(done)

    began = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(threads):
            pool.submit(client)
    duration = time.monotonic() - began
    counts: list[int] = []
    deadline = time.monotonic() + min(seconds, 5)
    began_minimal = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(threads):
            pool.submit(minimal_client, counts)
    minimal_rps = sum(counts) / (time.monotonic() - began_minimal)
    engine.dispose()
    flows.sort()
    return {
        "delegates_per_s": len(flows) / duration,
        "requests_per_s": 3 * len(flows) / duration,
        "p50": statistics.median(flows) if flows else float("nan"),
        "p99": flows[int(len(flows) * 0.99) - 1] if flows else float("nan"),
        "count": len(flows),
        "failures": len(failures),
        "minimal_python_rps": minimal_rps,
    }


def drain_outbox(url: str, mail_dir: Path) -> dict[str, float]:
    """After the rush: one mail worker sends everything the registrations queued."""
    from amf.extensions import db
    from amf.mail.delivery import run_worker
    from amf.mail.models import OutboxMessage

    app = _app(url, mail_dir)
    with app.app_context():
        queued = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
        started = time.perf_counter()
        sent = run_worker(once=True).sent
        elapsed = time.perf_counter() - started
        left = db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.status != "sent"))
        db.session.remove()
        db.engine.dispose()
    files = len(list(mail_dir.glob("*.eml")))
    return {"queued": queued, "sent": sent, "seconds": elapsed, "left": left, "files": files}


def report(pages, flows, drained, queries, seconds) -> str:
    """The README section."""
    minimal = pages["minimal"]["rps"]
    targets = {
        "event page (300 sessions)": "≥ 0.5 × minimal",
        "agenda, 300 sessions": "p50 < 30 ms",
        "calendar feed, cached": "≥ 0.5 × minimal",
        "calendar feed, 304": "",
        "event page (300 sessions), with a session": "",
        "agenda, 300 sessions, with a session": "",
    }
    lines = [
        "## Load: pages, feeds and registrations on PostgreSQL",
        "",
        f"`bench/load.py`: gunicorn, {WORKERS} sync workers (two per core: requests are "
        "CPU-bound with short PostgreSQL waits), a temporary PostgreSQL database, "
        f"`wrk -t2 -c16 -d{seconds}s` on 127.0.0.1; each page beside `/minimal` (a bare Flask "
        f"endpoint in the same gunicorn) as a ratio: the median of {PAIRS} runs, each right "
        "after its own /minimal run (the machine is shared and its speed drifts between runs). "
        "wrk and the Python load generator run on the same machine and take CPU from the server.",
        "",
        "    .venv/bin/python bench/load.py",
        "",
        f"Machine: {os.cpu_count()} CPUs ({platform.machine()}), Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}.",
        "",
        "| endpoint | req/s | × minimal | p50 (ms) | p99 (ms) | errors | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        f"| /minimal (median run) | {minimal:,.0f} | 1.00 | "
        f"{pages['minimal']['p50']:.1f} | {pages['minimal']['p99']:.1f} | "
        f"{pages['minimal']['errors']} | reference |",
    ]
    for name, target in targets.items():
        r = pages[name]
        lines.append(
            f"| {name} | {r['rps']:,.0f} | {r['ratio']:.2f} | {r['p50']:.1f} | "
            f"{r['p99']:.1f} | {r['errors']} | {target} |"
        )
    lines += [
        "",
        f"Registration flow (GET form → POST → verify), {seconds} s "
        "per run from Python client threads; the app queues the emails and no worker runs "
        "during the rush (as in production, where workers may be elsewhere). The reference is "
        "`/minimal` from the same clients. Target: 100 delegates/s with p99 < 250 ms.",
        "",
        "| clients | delegates/s | failures | flow p50 (ms) | flow p99 (ms) | HTTP req/s "
        "| × /minimal (same clients) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for threads, flow in flows.items():
        lines.append(
            f"| {threads} | {flow['delegates_per_s']:.1f} | {flow['failures']} | "
            f"{flow['p50']:.0f} | {flow['p99']:.0f} | {flow['requests_per_s']:.0f} | "
            f"{flow['requests_per_s'] / flow['minimal_python_rps']:.3f} "
            f"({flow['minimal_python_rps']:.0f} req/s) |"
        )
    lines += [
        "",
        f"After the rush one mail worker (`run_worker(once=True)`, files transport) sent the "
        f"{drained['queued']:,} queued messages (verification, confirmation and city-officer "
        f"notes) in {drained['seconds']:.1f} s ({drained['sent'] / drained['seconds']:.0f} "
        f"messages/s): {drained['sent']:,} sent, {drained['files']:,} `.eml` files written, "
        f"{drained['left']} not sent.",
        "",
        "SQL statements per page (in-process, caches cleared):",
        "",
        "| page | 10 sessions | 1,000 sessions |",
        "| --- | ---: | ---: |",
    ]
    for page, sizes in queries.items():
        lines.append(f"| {page} | {sizes['10'][0]} | {sizes['1000'][0]} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Prepare, measure, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs; do not write README")
    parser.add_argument("--seconds", type=int, default=10, help="length of each run")
    parser.add_argument(
        "--threads", type=int, nargs="+", default=[4, 16], help="registration client threads"
    )
    args = parser.parse_args()
    seconds = 3 if args.quick else args.seconds
    with tempfile.TemporaryDirectory() as tmp, TemporaryDatabase(ADMIN_URL) as url:
        mail_dir = Path(tmp) / "mail"
        slugs = prepare(url, mail_dir)
        queries = count_page_queries(url, mail_dir, slugs)
        server = Server(url, mail_dir)
        try:
            pages = measure_pages(server, slugs, seconds)
            flows = {
                threads: measure_registrations(server, url, slugs["open"], seconds, threads)
                for threads in args.threads
            }
        finally:
            server.stop()
        drained = drain_outbox(url, mail_dir)
    section = report(pages, flows, drained, queries, seconds)
    print(section)
    if not args.quick:
        write_readme_section("load", section)


if __name__ == "__main__":
    main()
