"""Configuration classes for AMF Events, read from the environment when the app is created."""

from __future__ import annotations

import os
from urllib.parse import urlsplit


def _env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    """Read an integer environment variable."""
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class Config:
    """Settings shared by every environment; each reads its environment variable."""

    ENV_NAME = "base"

    def __init__(self) -> None:
        # Read at app creation, never at import: tests build many apps with different settings.
        self.SECRET_KEY = os.environ.get("SECRET_KEY")
        # None means "a SQLite file in the instance folder"; create_app fills in the path.
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.AMF_BASE_URL = os.environ.get("AMF_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        self.AMF_PUBLIC_HOST = os.environ.get("AMF_PUBLIC_HOST")
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
        # Rate limits on delegates' form posts; memory:// is per process, use Redis in production.
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
        # Redis down: count limits per process instead of failing the request (logged once;
        # /healthz says so), and give up on an unanswering Redis within a second.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
        self.AMF_FORM_RATE_LIMIT = os.environ.get(
            "AMF_FORM_RATE_LIMIT", "10 per minute;50 per hour"
        )
        # "Email me my link" sends at most this many emails per registration per hour.
        self.AMF_RESEND_PER_HOUR = _env_int("AMF_RESEND_PER_HOUR", 3)
        # Attempts to sign in to the back office, per client address.
        self.AMF_LOGIN_RATE_LIMIT = os.environ.get(
            "AMF_LOGIN_RATE_LIMIT", "5 per minute;30 per hour"
        )
        # A change notifying up to this many delegates queues their emails in the request;
        # larger ones are queued by the mail worker, this many per transaction.
        self.AMF_NOTICE_INLINE_LIMIT = _env_int("AMF_NOTICE_INLINE_LIMIT", 25)
        self.AMF_NOTICE_BATCH_SIZE = _env_int("AMF_NOTICE_BATCH_SIZE", 500)
        # Calendar feeds: the refresh interval they ask clients for, how long a worker trusts
        # its memo of a feed's version, and the bounds of each worker's cache of built feeds.
        self.AMF_CALENDAR_REFRESH_MINUTES = _env_int("AMF_CALENDAR_REFRESH_MINUTES", 60)
        self.AMF_CALENDAR_VERSION_TTL_SECONDS = _env_int("AMF_CALENDAR_VERSION_TTL_SECONDS", 5)
        self.AMF_CALENDAR_CACHE_ENTRIES = _env_int("AMF_CALENDAR_CACHE_ENTRIES", 256)
        self.AMF_CALENDAR_CACHE_BYTES = _env_int("AMF_CALENDAR_CACHE_BYTES", 32 * 1024 * 1024)
        # Rendered agenda pages, keyed by the agenda's revision: bounds per worker.
        self.AMF_PAGE_CACHE_ENTRIES = _env_int("AMF_PAGE_CACHE_ENTRIES", 128)
        self.AMF_PAGE_CACHE_BYTES = _env_int("AMF_PAGE_CACHE_BYTES", 32 * 1024 * 1024)
        # Visitors without a session share an event page rendered at most this long ago
        # (0: every visit renders it).
        self.AMF_SHARED_PAGE_TTL_SECONDS = _env_int("AMF_SHARED_PAGE_TTL_SECONDS", 5)
        # Built feeds and pages shared between instances (Flask-Caching): Redis when
        # CACHE_REDIS_URL is set, else nothing shared (each worker keeps its own).
        self.CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL") or None
        self.CACHE_TYPE = "RedisCache" if self.CACHE_REDIS_URL else "NullCache"
        self.CACHE_DEFAULT_TIMEOUT = 24 * 3600
        self.CACHE_NO_NULL_WARNING = True
        self.CACHE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
        # Request bodies past this size are refused with a 413 before they are read.
        self.MAX_CONTENT_LENGTH = _env_int("AMF_MAX_REQUEST_BYTES", 4 * 1024 * 1024)
        self.AMF_MAX_REQUEST_BYTES = self.MAX_CONTENT_LENGTH
        # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
        self.AMF_TRUSTED_PROXIES = _env_int("AMF_TRUSTED_PROXIES", 0)
        # How long a delegate has to click the verification link.
        self.AMF_VERIFY_HOURS = _env_int("AMF_VERIFY_HOURS", 48)

        self.MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
        self.MAIL_PORT = _env_int("MAIL_PORT", 25)
        self.MAIL_USE_TLS = _env_bool("MAIL_USE_TLS")
        self.MAIL_USE_SSL = _env_bool("MAIL_USE_SSL")
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
        self.MAIL_TIMEOUT = _env_int("MAIL_TIMEOUT", 10)
        self.MAIL_DEFAULT_SENDER = os.environ.get(
            "MAIL_DEFAULT_SENDER", "AMF Events <no-reply@amf-events.localhost>"
        )
        # Where messages go when no MAIL_SERVER is set; None means instance/mail.
        self.AMF_MAIL_FILE_DIR = os.environ.get("AMF_MAIL_FILE_DIR") or None
        self.AMF_MAIL_MAX_ATTEMPTS = _env_int("AMF_MAIL_MAX_ATTEMPTS", 8)
        self.AMF_MAIL_SEND_AFTER_COMMIT = _env_bool("AMF_MAIL_SEND_AFTER_COMMIT", True)
        # Retry delays grow from the base, doubling per attempt, up to the ceiling (seconds).
        self.AMF_MAIL_RETRY_BASE_SECONDS = _env_int("AMF_MAIL_RETRY_BASE_SECONDS", 30)
        self.AMF_MAIL_RETRY_MAX_SECONDS = _env_int("AMF_MAIL_RETRY_MAX_SECONDS", 3600)
        # A message left in "sending" longer than this is taken to be orphaned and sent again.
        self.AMF_MAIL_CLAIM_LEASE_SECONDS = _env_int("AMF_MAIL_CLAIM_LEASE_SECONDS", 600)
        self.AMF_MAIL_BATCH_SIZE = _env_int("AMF_MAIL_BATCH_SIZE", 20)
        self.AMF_MAIL_POLL_SECONDS = _env_int("AMF_MAIL_POLL_SECONDS", 5)


class DevelopmentConfig(Config):
    """Local development: SQLite in instance/, mail written to instance/mail/."""

    ENV_NAME = "development"

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = self.SECRET_KEY or "dev-only-not-secret"


class TestingConfig(Config):
    """The test suite: CSRF stays on unless a test turns it off."""

    ENV_NAME = "testing"
    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = "testing-not-secret"  # noqa: S105 - tests only
        self.AMF_BASE_URL = "http://amf.test"
        self.RATELIMIT_ENABLED = False  # tests that check the limits turn it on
        self.MAIL_SERVER = None
        self.SERVER_NAME = None


class ProductionConfig(Config):
    """Production: refuses to start without a SECRET_KEY; cookies are secure."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    PREFERRED_URL_SCHEME = "https"

    def __init__(self) -> None:
        super().__init__()
        if not self.SECRET_KEY:
            raise RuntimeError("SECRET_KEY must be set in production (AMF_ENV=production).")
        if len(self.SECRET_KEY) < 32:
            raise RuntimeError("SECRET_KEY must be at least 32 random characters in production.")
        if not self.SQLALCHEMY_DATABASE_URI:
            raise RuntimeError("DATABASE_URL must be set in production (AMF_ENV=production).")
        # Every emailed link and feed address is built from it: the development default
        # would send delegates to 127.0.0.1, and http:// would expose their secret links.
        base = urlsplit(os.environ.get("AMF_BASE_URL", ""))
        if base.scheme != "https" or not base.hostname:
            raise RuntimeError(
                "AMF_BASE_URL must be set to the site's https:// address in production."
            )
        # Requests naming another Host are refused (400), so no redirect or page can be made
        # to point elsewhere; add the names a load balancer's health check uses.
        extra = os.environ.get("AMF_TRUSTED_HOSTS", "")
        self.TRUSTED_HOSTS = [base.hostname, *(h.strip() for h in extra.split(",") if h.strip())]
        # The mail workers send everything (woken by NOTIFY): requests never wait on SMTP.
        self.AMF_MAIL_SEND_AFTER_COMMIT = _env_bool("AMF_MAIL_SEND_AFTER_COMMIT", False)


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
