"""The back office's forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
)

from amf.events.models import Event, SessionKind
from amf.form_fields import PHONE_NUMBER, VALID_SLUG, strip_whitespace
from amf.organiser.agenda import SessionData
from amf.organiser.event_admin import EventData, SpeakerData
from amf.timezones import to_local, valid_timezone


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class EventForm(FlaskForm):
    """An event's details."""

    title = StringField(
        "Title", validators=[DataRequired(), Length(max=200)], filters=[strip_whitespace]
    )
    short_title = StringField("Short title", validators=[Optional(), Length(max=40)])
    slug = StringField(
        "Web address",
        validators=[DataRequired(), Length(max=80), VALID_SLUG],
        description="Lower-case letters, digits and hyphens, e.g. amf-2024.",
    )
    theme = StringField("Theme", validators=[Optional(), Length(max=400)])
    description = TextAreaField("Description", validators=[Optional()])
    first_day = DateField("First day", validators=[DataRequired()])
    last_day = DateField("Last day", validators=[DataRequired()])
    timezone = StringField(
        "Time zone", validators=[DataRequired(), Length(max=64)], default="Asia/Jakarta"
    )
    venue_name = StringField("Venue", validators=[DataRequired(), Length(max=200)])
    venue_address = StringField("Venue address", validators=[Optional(), Length(max=400)])
    host_city_name = StringField("Host city", validators=[Optional(), Length(max=120)])
    host_country = StringField("Host country", validators=[Optional(), Length(max=100)])
    organiser = StringField("Organiser", validators=[DataRequired(), Length(max=200)])
    contact_email = EmailField("Contact email", validators=[Optional(), Email()])
    registration_opens_at = DateTimeLocalField(
        "Registration opens (event's local time)", validators=[Optional()]
    )
    registration_closes_at = DateTimeLocalField(
        "Registration closes (event's local time)", validators=[Optional()]
    )
    capacity = IntegerField("Seats", validators=[Optional(), NumberRange(min=0)])
    requires_approval = BooleanField("Organisers approve each registration")
    submit = SubmitField("Save event")

    def validate_timezone(self, field) -> None:
        """Only IANA names."""
        if valid_timezone(field.data) != field.data:
            from wtforms.validators import ValidationError

            raise ValidationError("Use an IANA time zone name such as Asia/Jakarta.")

    def fill_from(self, event: Event) -> None:
        """Show the stored instants in the event's own time zone."""
        for name in ("registration_opens_at", "registration_closes_at"):
            value = getattr(event, name)
            getattr(self, name).data = (
                to_local(value, event.timezone).replace(tzinfo=None) if value else None
            )

    def data_object(self) -> EventData:
        """The form as plain values, local times made aware in the event's zone."""
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(self.timezone.data)

        def aware(value):
            return value.replace(tzinfo=zone) if value else None

        return EventData(
            slug=self.slug.data,
            title=self.title.data,
            short_title=self.short_title.data or "",
            theme=self.theme.data or "",
            description=self.description.data or "",
            first_day=self.first_day.data,
            last_day=self.last_day.data,
            timezone=self.timezone.data,
            venue_name=self.venue_name.data,
            venue_address=self.venue_address.data or "",
            host_city_name=self.host_city_name.data or "",
            host_country=self.host_country.data or "",
            organiser=self.organiser.data,
            contact_email=self.contact_email.data or "",
            registration_opens_at=aware(self.registration_opens_at.data),
            registration_closes_at=aware(self.registration_closes_at.data),
            capacity=self.capacity.data,
            requires_approval=self.requires_approval.data,
        )


class StatusForm(FlaskForm):
    """Publish, unpublish or cancel."""

    status = SelectField(
        choices=_choices(
            [("published", "Publish"), ("draft", "Unpublish"), ("cancelled", "Cancel")]
        )
    )
    submit = SubmitField("Apply")


class SessionForm(FlaskForm):
    """One agenda session."""

    title = StringField(
        "Title", validators=[DataRequired(), Length(max=300)], filters=[strip_whitespace]
    )
    kind = SelectField("Kind", choices=_choices((k.value, k.label) for k in SessionKind))
    day = SelectField("Day", validators=[DataRequired()])
    start = TimeField("Starts", validators=[DataRequired()])
    end = TimeField("Ends", validators=[DataRequired()])
    room_id = SelectField("Room", coerce=_optional_int, validate_choice=False)
    track_id = SelectField("Track", coerce=_optional_int, validate_choice=False)
    speaker_ids = SelectMultipleField("Speakers", coerce=int, validate_choice=False)
    description = TextAreaField("Description", validators=[Optional()])
    takes_signups = BooleanField("Delegates sign up for it")
    capacity = IntegerField("Seats", validators=[Optional(), NumberRange(min=1)])
    submit = SubmitField("Save session")

    def set_choices(self, event: Event) -> None:
        """Days, rooms, tracks and speakers of the event."""
        self.day.choices = _choices(
            (d.isoformat(), f"{d:%a} {d.day} {d:%b %Y}") for d in event.days
        )
        self.room_id.choices = _choices(
            [("", "No room")]
            + [(r.id, r.name + (f" ({r.capacity})" if r.capacity else "")) for r in event.rooms]
        )
        self.track_id.choices = _choices(
            [("", "No track")] + [(t.id, t.name) for t in event.tracks]
        )
        self.speaker_ids.choices = _choices((s.id, s.display_name) for s in event.speakers)

    def data_object(self) -> SessionData:
        """The form as plain values."""
        from datetime import date

        return SessionData(
            title=self.title.data,
            kind=SessionKind(self.kind.data),
            day=date.fromisoformat(self.day.data),
            start=self.start.data,
            end=self.end.data,
            room_id=self.room_id.data,
            track_id=self.track_id.data,
            speaker_ids=list(self.speaker_ids.data or []),
            description=self.description.data or "",
            takes_signups=self.takes_signups.data,
            capacity=self.capacity.data,
        )


class CancelRegistrationForm(FlaskForm):
    """Cancelling on a delegate's behalf, which cannot be undone, needs a ticked box."""

    confirm = BooleanField(
        "Yes, cancel this registration and email the delegate",
        validators=[DataRequired(message="Tick the box to confirm the cancellation.")],
    )
    submit = SubmitField("Cancel on the delegate's behalf")


class RoomForm(FlaskForm):
    """A room."""

    name = StringField(
        "Room name", validators=[DataRequired(), Length(max=120)], filters=[strip_whitespace]
    )
    capacity = IntegerField("Capacity", validators=[Optional(), NumberRange(min=1)])
    submit = SubmitField("Add room")


class TrackForm(FlaskForm):
    """A track."""

    name = StringField(
        "Track name", validators=[DataRequired(), Length(max=120)], filters=[strip_whitespace]
    )
    submit = SubmitField("Add track")


class SpeakerForm(FlaskForm):
    """A speaker."""

    name = StringField(
        "Name", validators=[DataRequired(), Length(max=200)], filters=[strip_whitespace]
    )
    honorific = StringField("Honorific", validators=[Optional(), Length(max=60)])
    position = StringField("Position", validators=[Optional(), Length(max=300)])
    organisation = StringField("Organisation", validators=[Optional(), Length(max=300)])
    bio = TextAreaField("Biography", validators=[Optional()])
    officer_id = SelectField("Pilot-city officer", coerce=_optional_int, validate_choice=False)
    submit = SubmitField("Save speaker")

    def set_officers(self, officers) -> None:
        """The officers a speaker may be."""
        self.officer_id.choices = _choices(
            [("", "Not an officer")] + [(o.id, f"{o.name} ({o.city.name})") for o in officers]
        )

    def data_object(self) -> SpeakerData:
        """The form as plain values."""
        return SpeakerData(
            name=self.name.data,
            honorific=self.honorific.data or "",
            position=self.position.data or "",
            organisation=self.organisation.data or "",
            bio=self.bio.data or "",
            officer_id=self.officer_id.data,
        )


class ImportForm(FlaskForm):
    """A CSV file of sessions."""

    file = FileField("CSV file", validators=[FileRequired()])
    submit = SubmitField("Preview")


class OfficerContactForm(FlaskForm):
    """An officer's email and phone."""

    email = EmailField("Email", validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(
        "Phone",
        validators=[Optional(), Length(max=40), PHONE_NUMBER],
        filters=[strip_whitespace],
    )
    submit = SubmitField("Save")


class RejectForm(FlaskForm):
    """Decline with a reason."""

    reason = TextAreaField(
        "Reason (sent to the delegate)", validators=[Optional(), Length(max=1000)]
    )
    submit = SubmitField("Reject")
