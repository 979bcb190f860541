"""Emails about a staff account (an invitation, a reset link, a lock-out), written when they are queued.

The kernel has no renderer of its own at send time (``Area.mail_renderers`` are the areas'), so these are
rendered from ``templates/staff/emails/<kind>.txt|.html`` in the account's language and queued ready-made
(``samrad.core.mail.queue_email``); a link in them is worthless once used or expired.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from jinja2 import Environment

from samrad.core import mail
from samrad.core.i18n import N_, _, use_locale
from samrad.core.settings import LOCALES, get_settings

SUBJECTS = {
    "invitation": N_("You are invited to %(municipality)s's Samråd"),
    "password_reset": N_("Set a new password for Samråd"),
    "locked": N_("Your Samråd account has been locked for a while"),
}


@cache
def _environments() -> tuple[Environment, Environment]:
    from samrad.core.web import build_template_environment

    html = build_template_environment(get_settings())
    return html, html.overlay(autoescape=False, cache_size=20)


async def queue_account_email(kind: str, user: Mapping[str, Any], **context: Any) -> int:
    """Write ``templates/staff/emails/<kind>.txt|.html`` in the account's language and queue it."""
    settings = get_settings()
    html_env, text_env = _environments()
    locale = user.get("locale") if user.get("locale") in LOCALES else settings.default_locale
    values = {"name": user["name"], "settings": settings, "base_url": settings.base_url, **context}
    with use_locale(locale):
        subject = _(SUBJECTS[kind], municipality=settings.municipality_name)
        text = text_env.get_template(f"staff/emails/{kind}.txt").render(values).strip() + "\n"
        html = html_env.get_template(f"staff/emails/{kind}.html").render(values)
    return await mail.queue_email(f"account.{kind}", user["email"], subject, text, html)
