"""iCalendar for agendas: feeds, downloads, personal feeds and schedule exports."""

from amf.calendar import links  # noqa: F401 - the template globals, on views.bp
from amf.calendar.views import bp  # noqa: F401
