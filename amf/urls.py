"""Absolute links for emails and feeds, built from AMF_BASE_URL rather than the request."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def absolute_url(endpoint: str, **values: Any) -> str:
    """The public address of an endpoint, usable outside a request (workers, CLI, services)."""
    base = urlsplit(current_app.config["AMF_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)
