"""Filters, validators and the one-button form shared by every form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SubmitField
from wtforms.validators import Regexp

from amf.urls import SLUG_PATTERN

# Text a person typed never needs C0 control characters (tab and line breaks aside).
NO_CONTROL_CHARACTERS = Regexp(
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*\Z", message="Remove control characters."
)

# A slug our URL converter will route: lower-case letters, digits, inner hyphens.
VALID_SLUG = Regexp(
    rf"^{SLUG_PATTERN}\Z",
    message="Use lower-case letters, digits and inner hyphens (e.g. amf-2024).",
)

PHONE_NUMBER = Regexp(r"^[0-9+()./\- ]*\Z", message="Use digits, spaces and + ( ) - . / only.")


def strip_whitespace(value):
    """Field filter: trim surrounding whitespace from text, leave other values alone."""
    return value.strip() if isinstance(value, str) else value


def one_line(value):
    """Field filter for single-line text: every run of whitespace, line breaks included, is one
    space. A browser never sends a line break from a text input; a script that does cannot
    start a new line in the emails that quote the field.
    """
    return " ".join(value.split()) if isinstance(value, str) else value


class ConfirmForm(FlaskForm):
    """A button that needs only the CSRF token."""

    submit = SubmitField("Confirm")
