"""Message templates: both parts, the event's particulars, and Unicode that survives."""

from __future__ import annotations

import re

from builders import make_event, make_session

from amf.mail.rendering import render_message


def test_event_notice_states_event_dates_times_zone_and_venue(app):
    with app.app_context():
        event = make_event(
            title="AMF <2031> & Partners",
            venue_name="Grand City Convention Hall",
            venue_address="Jl. Walikota Mustajab 1",
            host_city_name="Surabaya",
            host_country="Indonesia",
        )
        session = make_session(event, "13:30", "15:00", day=1, title="Site visit")
        rendered = render_message(
            "event_notice",
            event=event,
            agenda_session=session,
            heading="Your session has moved",
            paragraphs=["The site visit now starts after lunch."],
            recipient_name="Nguyễn Đức Chung",
        )

    assert rendered.subject == "Your session has moved: AMF <2031> & Partners"
    for part in (rendered.text, rendered.html):
        assert "Nguyễn Đức Chung" in part
        assert "10–11 March 2031" in part
        assert "Tuesday 11 March 2031" in part
        assert "13:30–15:00 WIB" in part
        assert "Asia/Jakarta (WIB, UTC+07:00)" in part
        assert "Grand City Convention Hall" in part
        assert "Surabaya" in part
    assert "AMF <2031> & Partners" in rendered.text
    assert "AMF &lt;2031&gt; &amp; Partners" in rendered.html
    assert "{%" not in rendered.text and "{{" not in rendered.text


def test_html_layout_needs_no_images_or_external_css(app):
    with app.app_context():
        event = make_event()
        rendered = render_message("event_notice", event=event, heading="Notice")
    html = rendered.html.lower()
    assert "<img" not in html
    assert "<link" not in html
    assert "<style" not in html
    assert "<script" not in html
    assert not re.search(r"\bsrc=", html)
    assert 'charset="utf-8"' in html
    assert "Hello," in rendered.text  # no recipient name given


def test_send_test_mail_command_delivers_unicode_intact(smtp_app, smtp_server, runner):
    result = runner.invoke(args=["amf", "send-test-mail", "chung@example.com"])

    assert result.exit_code == 0, result.output
    assert "Sent test message" in result.output
    [received] = smtp_server.received
    email = received.message
    assert email["Subject"] == "AMF Events test message"
    for subtype in ("plain", "html"):
        content = email.get_body((subtype,)).get_content()
        assert "Nguyễn Đức Chung" in content
        assert "กรุงเทพมหานคร" in content
        assert "ရန်ကုန်" in content


def test_send_test_mail_refuses_a_malformed_address(runner):
    result = runner.invoke(args=["amf", "send-test-mail", "not an address"])
    assert result.exit_code != 0
    assert "EMAIL" in result.output
