"""Rendering a message from its templates/mail/<name>.txt and .html pair."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from jinja2 import Template

from amf.mail.mime import single_line


@dataclass(frozen=True)
class RenderedMessage:
    """Subject and both bodies of one message."""

    subject: str
    text: str
    html: str


def render_message(name: str, **context: Any) -> RenderedMessage:
    """Render mail/<name>.txt and mail/<name>.html; the subject is the text template's block."""
    app = current_app._get_current_object()
    app.update_template_context(context)
    text_template = app.jinja_env.get_template(f"mail/{name}.txt")
    html_template = app.jinja_env.get_template(f"mail/{name}.html")
    return RenderedMessage(
        subject=single_line(_render_block(text_template, "subject", context)),
        text=text_template.render(context).strip() + "\n",
        html=html_template.render(context),
    )


def _render_block(template: Template, block: str, context: dict[str, Any]) -> str:
    """One block of a template, e.g. the subject."""
    if block not in template.blocks:
        raise LookupError(f"{template.name} has no {{% block {block} %}}")
    return "".join(template.blocks[block](template.new_context(context)))
