"""Calendar feed benchmark: build times, worker memory and HTTP throughput under gunicorn.

    .venv/bin/python bench/calendar_feed.py            # writes the results into bench/README.md
    .venv/bin/python bench/calendar_feed.py --quick    # shorter wrk runs, nothing written

Needs `wrk` (apt-get install wrk) for the HTTP part; it only ever talks to 127.0.0.1.
Throughput is reported as a ratio to a minimal Flask endpoint served by the same gunicorn
process in the same run (this module is also that WSGI application: /minimal goes to a bare
Flask app, everything else to AMF).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common import free_port, write_readme_section  # noqa: E402

SIZES = (100, 1_000, 5_000)


def _make_wsgi():
    """The app gunicorn serves: /minimal to a bare Flask app, the rest to AMF."""
    from flask import Flask

    from amf import create_app

    minimal = Flask("minimal")

    @minimal.get("/minimal")
    def hello():
        return "ok"

    amf_app = create_app()

    def dispatch(environ, start_response):
        target = minimal if environ.get("PATH_INFO") == "/minimal" else amf_app
        return target(environ, start_response)

    return dispatch


if os.environ.get("AMF_BENCH_WSGI"):
    application = _make_wsgi()


def _database(tmp: Path) -> str:
    return f"sqlite:///{tmp / 'bench.sqlite3'}"


def _prepare(url: str) -> dict[int, str]:
    """Migrate a fresh database and generate one synthetic event per size."""
    from flask_migrate import upgrade

    from amf import create_app
    from amf.events.demo import generate_synthetic_events

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "AMF_ENV": "development"})
    with app.app_context():
        upgrade()
        return {size: generate_synthetic_events(1, size)[0].slug for size in SIZES}


def measure_builds(url: str, slugs: dict[int, str], repeat: int = 5) -> dict[int, tuple]:
    """Median cold build (database load + rendering) and cached lookup per size, in ms."""
    from amf import create_app
    from amf.calendar import feeds
    from amf.calendar.cache import document_cache
    from amf.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "AMF_ENV": "development"})
    results = {}
    with app.app_context():
        for size, slug in slugs.items():
            cold, cached = [], []
            for _ in range(repeat):
                document_cache().clear()
                db.session.expire_all()
                started = time.perf_counter()
                document = feeds.event_feed(feeds.public_event(slug))
                cold.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                feeds.event_feed(feeds.public_event(slug))
                cached.append((time.perf_counter() - started) * 1000)
            results[size] = (
                sorted(cold)[repeat // 2],
                sorted(cached)[repeat // 2],
                len(document.body),
            )
    return results


def _worker_rss_mb(master_pid: int) -> float:
    """The resident memory of gunicorn's (single) worker."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    status = Path(f"/proc/{children[0]}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def _wrk(url: str, seconds: int, headers: dict[str, str] | None = None) -> float:
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def measure_http(url: str, slugs: dict[int, str], seconds: int) -> dict[str, float]:
    """Requests per second for /minimal, and for the cached feeds of 100 and 1,000 sessions and
    their 304s (the minimal endpoint is measured before and after; its mean is the reference)."""
    port = free_port()
    env = {**os.environ, "AMF_BENCH_WSGI": "1", "DATABASE_URL": url, "AMF_ENV": "development"}
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "--chdir", str(ROOT / "bench"),
            "-w", "1", "-k", "sync", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
            "calendar_feed:application",
        ],
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/minimal", timeout=1).read()  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        results = {}
        big = f"{base}/events/{slugs[5_000]}/calendar.ics"
        urllib.request.urlopen(big, timeout=30).read()  # noqa: S310 - our local server
        results["rss_5000_mb"] = _worker_rss_mb(server.pid)
        if shutil.which("wrk") is None:
            print("wrk not found: skipping throughput (apt-get install wrk)")
            return results
        # This VM's speed drifts by tens of percent from one run to the next, so each
        # measurement is taken three times, each time right after its own /minimal run, and
        # the median of the three ratios is reported.
        targets = {"minimal": (f"{base}/minimal", None)}
        for size in (100, 1_000):
            feed = f"{base}/events/{slugs[size]}/calendar.ics"
            with urllib.request.urlopen(feed, timeout=30) as response:  # noqa: S310
                etag = response.headers["ETag"]
            targets[f"feed_{size}"] = (feed, None)
            targets[f"not_modified_{size}"] = (feed, {"If-None-Match": etag})
        ratios: dict[str, list[float]] = {name: [] for name in targets if name != "minimal"}
        rates: dict[str, list[float]] = {name: [] for name in targets}
        for _ in range(3):
            for name, (target, headers) in targets.items():
                if name == "minimal":
                    continue
                minimal = _wrk(f"{base}/minimal", seconds)
                rate = _wrk(target, seconds, headers)
                rates["minimal"].append(minimal)
                rates[name].append(rate)
                ratios[name].append(rate / minimal)
        results.update({name: statistics.median(values) for name, values in rates.items()})
        results.update({f"ratio_{name}": statistics.median(v) for name, v in ratios.items()})
        return results
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def _report(builds, http, seconds) -> str:
    cpu = platform.processor() or platform.machine()
    lines = [
        "## Calendar feeds",
        "",
        "`bench/calendar_feed.py` generates synthetic events (`amf.events.demo."
        "generate_synthetic_events`, Asia/Jakarta, SQLite), times building the event feed cold "
        "(database load and rendering, cache cleared) and cached (a version lookup), then serves "
        "AMF under gunicorn (1 sync worker) with `wrk -t2 -c16` on 127.0.0.1.",
        "",
        "    .venv/bin/python bench/calendar_feed.py",
        "",
        f"Machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; wrk runs of {seconds} s.",
        "",
        "| sessions | cold build (ms) | cached (ms) | feed size (KB) |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for size, (cold, cached, length) in builds.items():
        lines.append(f"| {size:,} | {cold:.1f} | {cached:.2f} | {length / 1024:.0f} |")
    lines += ["", "| measure | result | target |", "| --- | ---: | ---: |"]
    lines.append(
        f"| worker RSS after serving 5,000 sessions | {http['rss_5000_mb']:.0f} MB | < 150 MB |"
    )
    if "minimal" in http:
        lines.append(
            f"| minimal Flask endpoint (median) | {http['minimal']:,.0f} req/s | (reference) |"
        )
        for size in (100, 1_000):
            feed, not_modified = http[f"feed_{size}"], http[f"not_modified_{size}"]
            lines += [
                f"| cached {size:,}-session feed | {feed:,.0f} req/s; median ratio "
                f"{http[f'ratio_feed_{size}']:.2f} × minimal | ≥ 0.7 |",
                f"| 304 answer for it (If-None-Match) | {not_modified:,.0f} req/s; median ratio "
                f"{http[f'ratio_not_modified_{size}']:.2f} × minimal | ≥ 0.8 |",
            ]
        lines += [
            "",
            "Each ratio is the median of three runs, each right after its own /minimal run: this "
            "machine's speed drifts by tens of percent between runs.",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run everything and write bench/README.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs; do not write README")
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    args = parser.parse_args()
    seconds = 3 if args.quick else args.seconds
    with tempfile.TemporaryDirectory() as tmp:
        url = _database(Path(tmp))
        slugs = _prepare(url)
        builds = measure_builds(url, slugs)
        http = measure_http(url, slugs, seconds)
    section = _report(builds, http, seconds)
    print(section)
    if not args.quick:
        write_readme_section("calendar-feed", section)


if __name__ == "__main__":
    main()
