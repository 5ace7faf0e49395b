"""Transactional email: an outbox written with the change that causes it, delivered after commit."""
