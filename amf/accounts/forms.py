"""Sign-in and account forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from amf.accounts.models import Role

ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in Role]


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    submit = SubmitField("Sign in")


class LogoutForm(FlaskForm):
    """A button: signing out is a POST, so another site cannot sign anyone out."""

    submit = SubmitField("Sign out")


class NewAccountForm(FlaskForm):
    """An admin creates an account."""

    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.ORGANISER.value)
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(max=256)],
        description="12 characters or more.",
    )
    confirm = PasswordField(
        "Repeat the password", validators=[EqualTo("password", message="The passwords differ.")]
    )
    submit = SubmitField("Create account")


class EditAccountForm(FlaskForm):
    """An admin changes an account."""

    name = StringField("Name", validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    enabled = BooleanField("May sign in")
    submit = SubmitField("Save")
