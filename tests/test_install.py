"""The wheel, installed without extras into a fresh virtual environment, migrates, seeds, serves.

This proves the optional dependencies (postgres, server, redis) really are optional: the
install resolves only the required ones (pip may take them from its cache), and the app
runs from the installed wheel, not from the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
EXTRAS_ONLY = ("psycopg", "gunicorn", "redis")  # what the extras bring, and no requirement does

REQUEST = """
from amf import create_app

client = create_app().test_client()
health, cities = client.get("/healthz"), client.get("/cities/")
print(health.status_code, cities.status_code, "Hanoi" in cities.text)
"""


def _run(args: list[str | Path], timeout: float, **kwargs) -> str:
    """Run a command to completion (killed at the deadline); its output, or fail with it."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and scripts
        [str(arg) for arg in args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{args}: exit {result.returncode}\n{output[-4000:]}"
    return output


def test_the_wheel_without_extras_migrates_seeds_and_serves(tmp_path):
    dist, venv, site = tmp_path / "dist", tmp_path / "venv", tmp_path / "site"
    site.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    try:
        # Only our own wheel is built here (--no-deps); the install below resolves them all.
        _run([*pip, "wheel", "--no-deps", "--quiet", "--wheel-dir", dist, ROOT], timeout=600)
        (wheel,) = dist.glob("amf_events-*.whl")
        _run([sys.executable, "-m", "venv", "--without-pip", venv], timeout=300)
        python = venv / "bin" / "python"
        _run([*pip, "--python", python, "install", "--quiet", wheel], timeout=900)

        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("AMF_", "FLASK_", "DATABASE_", "MAIL_", "PYTHON"))
        }
        env.update(
            FLASK_APP="amf",
            DATABASE_URL=f"sqlite:///{tmp_path / 'installed.sqlite3'}",
            AMF_MAIL_FILE_DIR=str(tmp_path / "mail"),
        )
        where = _run(
            [python, "-c", "import amf; print(amf.__file__)"], timeout=120, cwd=site, env=env
        )
        assert Path(where.strip()).is_relative_to(venv), f"amf imported from {where}"
        missing = _run(
            [
                python,
                "-c",
                f"import importlib.util as u; print([u.find_spec(n) for n in {EXTRAS_ONLY}])",
            ],
            timeout=120,
            cwd=site,
            env=env,
        )
        assert missing.strip() == "[None, None, None]", f"an extra got installed: {missing}"

        flask = venv / "bin" / "flask"
        _run([flask, "db", "upgrade"], timeout=300, cwd=site, env=env)
        seeded = _run([flask, "amf", "seed"], timeout=300, cwd=site, env=env)
        assert "26 pilot cities" in seeded, seeded
        answered = _run([python, "-c", REQUEST], timeout=300, cwd=site, env=env)
        assert answered.strip().splitlines()[-1] == "200 200 True", answered
    finally:
        shutil.rmtree(venv, ignore_errors=True)  # a few hundred MB; pytest keeps tmp_path
