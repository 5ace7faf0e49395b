"""Small text helpers for the back office."""

from __future__ import annotations

import re
import unicodedata


def slugify(text: str) -> str:
    """'Smart Mobility & Transport' -> 'smart-mobility-transport'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower())[:80].strip("-") or "item"
