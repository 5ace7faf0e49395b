"""Organiser accounts: sign-in, roles, and the admins' account screens."""

from amf.accounts.views import bp  # noqa: F401
