"""Organiser views, one module per area."""
