"""The state of the optional dependencies (Redis for rate limits and the shared cache)."""

from __future__ import annotations

import logging

from flask import current_app

from amf.caching import shared_store
from amf.extensions import limiter

logger = logging.getLogger(__name__)

DEGRADED_RATE_LIMITS = "degraded: storage unreachable, counting per process"
DEGRADED_CACHE = "degraded: shared cache unreachable, building per process"


def dependency_health() -> dict[str, str]:
    """'ok' or a 'degraded: …' note for each configured dependency beside the database."""
    config = current_app.config
    report: dict[str, str] = {}
    if config["RATELIMIT_ENABLED"] and not config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        report["rate_limits"] = "ok" if _limiter_storage_answers() else DEGRADED_RATE_LIMITS
    if config["CACHE_TYPE"] != "NullCache":
        report["cache"] = "ok" if shared_store().check() else DEGRADED_CACHE
    return report


def _limiter_storage_answers() -> bool:
    try:
        return bool(limiter.storage.check())
    except Exception:  # any storage error means it does not answer
        logger.debug("rate-limit storage check failed", exc_info=True)
        return False
