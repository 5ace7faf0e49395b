"""Absolute links for emails and feeds, built from AMF_BASE_URL rather than the request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import BaseConverter


def absolute_url(endpoint: str, **values: Any) -> str:
    """The public address of an endpoint, usable outside a request (workers, CLI, services)."""
    return absolute_url_builder()(endpoint, **values)


def absolute_url_builder() -> Callable[..., str]:
    """absolute_url with the URL adapter bound once, for building many links in a row."""
    base = urlsplit(current_app.config["AMF_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )

    def build(endpoint: str, **values: Any) -> str:
        return adapter.build(endpoint, values, force_external=True)

    return build


# What a slug in our URLs may be; forms that set slugs validate against the same pattern.
SLUG_PATTERN = r"[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?"


class SlugConverter(BaseConverter):
    """Lower-case letters, digits and hyphens: anything else is a 404 before any query."""

    regex = SLUG_PATTERN


class TokenConverter(BaseConverter):
    """URL-safe base64 with dots (itsdangerous) and a sane length; anything else is a 404."""

    regex = r"[A-Za-z0-9_\-.]{16,400}"


def register_converters(app) -> None:
    """Make <slug:...> and <token:...> available to every blueprint."""
    app.url_map.converters["slug"] = SlugConverter
    app.url_map.converters["token"] = TokenConverter
