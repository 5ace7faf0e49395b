"""The delegate's forms: register, edit details, choose sessions, cancel, resend the link."""

from __future__ import annotations

from collections.abc import Sequence

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from amf.cities.choices import StateChoice
from amf.events.models import AgendaSession
from amf.form_fields import NO_CONTROL_CHARACTERS, PHONE_NUMBER, one_line, strip_whitespace
from amf.registration.models import DelegateCategory, Registration
from amf.registration.services import DelegateDetails

OTHER_ORGANISATION = "other"


def _text(label: str, maximum: int, required: bool = False, **kwargs) -> StringField:
    validators = (
        [DataRequired(message=f"Enter your {label.lower()}.")] if required else [Optional()]
    )
    validators += [Length(max=maximum), NO_CONTROL_CHARACTERS]
    return StringField(label, validators=validators, filters=[one_line], **kwargs)


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DelegateDetailsForm(FlaskForm):
    """Who the delegate is and whom they represent."""

    honorific = _text("Honorific", 40, description="For example Mr, Ms, Dr, H.E., Datuk.")
    given_names = _text("Given name(s)", 120, required=True)
    family_name = _text("Family name", 120, description="Leave empty if you have a single name.")
    phone = StringField(
        "Phone (optional)",
        validators=[Optional(), Length(max=40), PHONE_NUMBER],
        filters=[one_line],
    )
    position = _text("Position", 200, description="For example Deputy Mayor.")
    organisation = _text("Organisation", 200, description="For example City Government of Hanoi.")
    category = SelectField(
        "Delegate category",
        choices=[SelectChoice("", "Choose…")]
        + [SelectChoice(c.value, c.label) for c in DelegateCategory],
        validators=[InputRequired(message="Choose a delegate category.")],
        validate_choice=True,
    )
    city = SelectField(
        "Representing",
        validators=[InputRequired(message="Choose a pilot city, or another organisation.")],
    )
    # Checked in validate(): a form without the radio group simply means "not an officer".
    officer_id = RadioField("Are you one of this city's listed officers?", validate_choice=False)
    other_organisation = _text("Organisation name", 200)
    other_country = _text("Country", 100)
    dietary_needs = TextAreaField(
        "Dietary needs (optional)",
        validators=[Optional(), Length(max=500), NO_CONTROL_CHARACTERS],
        filters=[strip_whitespace],
    )
    accessibility_needs = TextAreaField(
        "Accessibility needs (optional)",
        validators=[Optional(), Length(max=500), NO_CONTROL_CHARACTERS],
        filters=[strip_whitespace],
    )
    listed_publicly = BooleanField(
        "List me among my city's delegates on its public page (name, category and organisation)"
    )

    def set_cities(self, states: Sequence[StateChoice]) -> None:
        """Offer the pilot cities grouped by member state, and their officers."""
        cities = [SelectChoice("", "Choose…")]
        officers = [SelectChoice("", "No, I am not one of them")]
        for state in states:
            for city in state.cities:
                cities.append(SelectChoice(str(city.id), city.name, optgroup=state.name))
                officers += [SelectChoice(str(o.id), o.name) for o in city.officers]
        cities.append(
            SelectChoice(
                OTHER_ORGANISATION, "Another organisation (not a pilot city)", optgroup="Other"
            )
        )
        self.city.choices = cities
        self.officer_id.choices = officers
        self.officers_by_city = [(city, city.officers) for state in states for city in state.cities]

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then the rules that tie the delegation fields together."""
        valid = super().validate(extra_validators)
        city = self.city.data
        if city == OTHER_ORGANISATION and not self.other_organisation.data:
            self.other_organisation.errors.append("Enter the name of your organisation.")
            valid = False
        officer = self.officer_id.data or ""
        if officer and officer not in {choice.value for choice in self.officer_id.choices}:
            self.officer_id.errors.append("Choose one of the listed officers, or “No”.")
            valid = False
        elif officer and city in ("", OTHER_ORGANISATION):
            self.officer_id.errors.append("Choose the officer's city first.")
            valid = False
        return valid

    def details(self, email: str, session_ids: list[int]) -> DelegateDetails:
        """The form's values for the registration service."""
        is_city = self.city.data not in ("", OTHER_ORGANISATION)
        return DelegateDetails(
            honorific=self.honorific.data or "",
            given_names=self.given_names.data,
            family_name=self.family_name.data or "",
            email=email,
            phone=self.phone.data or "",
            position=self.position.data or "",
            organisation=self.organisation.data or "",
            category=DelegateCategory(self.category.data),
            city_id=int(self.city.data) if is_city else None,
            officer_id=int(self.officer_id.data) if is_city and self.officer_id.data else None,
            other_organisation="" if is_city else self.other_organisation.data or "",
            other_country="" if is_city else self.other_country.data or "",
            dietary_needs=self.dietary_needs.data or "",
            accessibility_needs=self.accessibility_needs.data or "",
            listed_publicly=self.listed_publicly.data,
            session_ids=session_ids,
        )


class SessionChoiceMixin:
    """The sessions that take sign-ups, with full ones marked."""

    sessions = MultiCheckboxField("Sessions you plan to attend (optional)", coerce=int)

    def set_sessions(self, sessions: list[AgendaSession], labels: dict[int, str]) -> None:
        """Offer these sessions, labelled with their time and seats."""
        self.sessions.choices = [SelectChoice(s.id, labels[s.id]) for s in sessions]


class RegistrationForm(DelegateDetailsForm, SessionChoiceMixin):
    """The public registration form."""

    email = EmailField(
        "Email",
        validators=[
            DataRequired(message="Enter your email address."),
            Length(max=254),
            Email(message="Enter a valid email address, like name@example.org."),
        ],
        filters=[strip_whitespace],
        description="We send a link to this address to confirm it is yours.",
    )
    consent_privacy = BooleanField(
        "I agree that AMF Events stores and uses these details to organise my participation, "
        "as the privacy notice explains.",
        validators=[
            DataRequired(message="Registration needs your agreement to the privacy notice.")
        ],
    )
    submit = SubmitField("Register")


class EditDetailsForm(DelegateDetailsForm):
    """A delegate's own details, on the manage page."""

    submit = SubmitField("Save my details")

    @classmethod
    def showing(cls, registration: Registration, states: Sequence[StateChoice]):
        """The form filled in with the registration as stored, offering these cities."""
        form = cls(obj=registration, formdata=None)
        # WTForms prefers obj over keyword data, and obj's `city` is a PilotCity and its
        # `officer_id` an int: the select and the radios match their choices as strings.
        form.city.data = str(registration.city_id or OTHER_ORGANISATION)
        form.officer_id.data = str(registration.officer_id or "")
        form.set_cities(states)
        return form


class CorrectDetailsForm(EditDetailsForm):
    """An organiser's correction of a delegate's details."""

    submit = SubmitField("Save corrections")


class SessionsForm(FlaskForm, SessionChoiceMixin):
    """A delegate's choice of sessions, on the manage page."""

    submit = SubmitField("Save my sessions")


class CancelForm(FlaskForm):
    """Cancelling a registration needs an explicit tick."""

    confirm = BooleanField(
        "Yes, cancel my registration and release my seat",
        validators=[DataRequired(message="Tick the box to confirm the cancellation.")],
    )
    submit = SubmitField("Cancel my registration")


class ReplaceLinkForm(FlaskForm):
    """A button: only the CSRF token."""


class ResendLinkForm(FlaskForm):
    """Ask for the manage link again."""

    email = EmailField(
        "Email you registered with",
        validators=[
            DataRequired(message="Enter your email address."),
            Length(max=254),
            Email(message="Enter a valid email address."),
        ],
        filters=[strip_whitespace],
    )
    submit = SubmitField("Email me my link")
