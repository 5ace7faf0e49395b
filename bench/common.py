"""Helpers the benchmark scripts share: a free loopback port and their README sections."""

from __future__ import annotations

import re
import socket
from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"
INTRO = (
    "# Benchmarks\n\nScripts anyone can run from the checkout; each writes its own section below.\n"
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_readme_section(name: str, section: str) -> None:
    """Replace (or append) the section between this script's markers in bench/README.md."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = README.read_text("utf-8") if README.exists() else INTRO
    block = f"{begin}\n{section}{end}\n"
    if begin in text:
        pattern = re.escape(begin) + r".*?" + re.escape(end) + r"\n"
        text = re.sub(pattern, lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    README.write_text(text, "utf-8")
