"""Subscribe and download links for templates: webcal://, Google, Outlook and .ics."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from amf.calendar.views import bp
from amf.registration.addresses import personal_feed_url
from amf.urls import absolute_url


@dataclass(frozen=True)
class CalendarLinks:
    """The ways to take a feed: subscribe (stays updated) or download (a one-time copy)."""

    name: str
    feed_url: str
    download_url: str | None = None

    @property
    def webcal_url(self) -> str:
        """The feed for calendar apps (Apple Calendar, Outlook desktop, Thunderbird)."""
        return "webcal://" + self.feed_url.split("://", 1)[1]

    @property
    def google_url(self) -> str:
        """Google Calendar's one-click subscribe page for the feed."""
        return "https://calendar.google.com/calendar/render?" + urlencode(
            {"cid": self.webcal_url}, quote_via=quote
        )

    @property
    def outlook_url(self) -> str:
        """Outlook on the web's subscribe page for the feed."""
        return "https://outlook.live.com/calendar/0/addfromweb?" + urlencode(
            {"url": self.feed_url, "name": self.name}, quote_via=quote
        )


@bp.app_template_global()
def event_calendar_links(event, session=None) -> CalendarLinks:
    """The event's feed, with the session's (or the whole agenda's) download."""
    feed_url = absolute_url("calendar.event_feed", slug=event.slug)
    download_url = (
        absolute_url("calendar.session_download", slug=event.slug, session_id=session.id)
        if session is not None
        else feed_url
    )
    return CalendarLinks(name=event.title, feed_url=feed_url, download_url=download_url)


@bp.app_template_global()
def personal_calendar_links(registration) -> CalendarLinks:
    """A delegate's personal feed (secret: shown only on their manage page and emails)."""
    return CalendarLinks(
        name=f"{registration.event.title} · My agenda",
        feed_url=personal_feed_url(registration),
        download_url=personal_feed_url(registration),
    )
