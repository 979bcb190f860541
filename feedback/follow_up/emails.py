"""Writing the follow-up's emails (digests, evaluation invitations) from ``templates/feedback/follow_up/emails/``:
a plain-text and an HTML body in the recipient's language."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from jinja2 import Environment

from samrad.core.settings import get_settings


@cache
def _environments() -> tuple[Environment, Environment]:
    """The app's Jinja environment for HTML, and an overlay without autoescaping for plain text."""
    from samrad.core.web import build_template_environment

    html = build_template_environment(get_settings())
    return html, html.overlay(autoescape=False, cache_size=100)


def render(template: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """(text, html) of ``feedback/follow_up/emails/<template>.txt|.html`` in the current locale."""
    html_env, text_env = _environments()
    context = {"settings": get_settings(), **context}
    text = text_env.get_template(f"feedback/follow_up/emails/{template}.txt").render(context)
    html = html_env.get_template(f"feedback/follow_up/emails/{template}.html").render(context)
    return text, html
