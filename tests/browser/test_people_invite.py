"""People and roles in a real browser: an administrator invites an organiser, who follows the link from the
email, chooses a password, creates an event and publishes it; in Danish, Swedish and English, with axe-core on
every page on the way (and on the other pages of people, accounts, teams and the audit log).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from browser_support import assert_accessible, screenshot, visit
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://\S+/staff/welcome/[A-Za-z0-9_-]+")
PASSWORD = "seven quiet lanterns by the harbour"


def log_in(page: Page, account: dict[str, str], locale: str) -> None:
    visit(page, f"/lang/{locale}?next=/staff/login")
    page.fill("#email", account["email"])
    page.fill("#password", account["password"])
    with page.expect_navigation(url=re.compile(r"/staff$")):
        page.click("main form button[type='submit']")
    assert_accessible(page)


def submit(page: Page, form: str, url: str | re.Pattern[str]) -> None:
    with page.expect_navigation(url=url):
        page.click(f"{form} button[type='submit']")
    assert_accessible(page)


def invitation_link(run_async, email: str) -> str:
    from samrad.core.tables import OutboxMessage

    async def query() -> str:
        row = await OutboxMessage.select(OutboxMessage.text_body).where(
            (OutboxMessage.to_address == email) & (OutboxMessage.kind == "account.invitation")
        ).first()
        return row["text_body"]

    match = LINK.search(run_async(query))
    assert match, "the invitation has no link"
    return urlsplit(match.group(0)).path


@pytest.mark.parametrize("locale", ["da", "sv", "en"])
def test_an_invited_organiser_sets_a_password_and_publishes_an_event(
    staff, run_async, server, page, context, locale
):
    email = f"new.organiser.{locale}@browser.test"
    title = {"da": "Temadag om ligestilling", "sv": "Temadag om jämställdhet", "en": "Equality theme day"}[locale]

    log_in(page, staff["admin"], locale)
    visit(page, "/staff/people")
    visit(page, "/staff/people/invite")
    page.fill("#name", "Nova Organiser")
    page.fill("#email", email)
    page.check("#role-organiser")
    page.check(f"#locale-{locale}")
    submit(page, "main form", re.compile(r"/staff/people/\d+$"))
    screenshot(page, f"people-invited-{locale}")

    # The organiser, in a browser of their own, follows the link in the email.
    newcomer = context.browser.new_context(base_url=server, locale="da-DK")
    try:
        organiser = newcomer.new_page()
        visit(organiser, f"/lang/{locale}?next={invitation_link(run_async, email)}")
        organiser.fill("#password", PASSWORD)
        organiser.fill("#password_again", PASSWORD)
        submit(organiser, "main form", re.compile(r"/staff$"))

        visit(organiser, "/staff/events/new")
        day = (date.today() + timedelta(days=45)).isoformat()
        organiser.fill(f"#title_{locale}", title)
        organiser.fill("#starts_at", f"{day}T09:00")
        organiser.fill("#ends_at", f"{day}T15:00")
        organiser.fill("#capacity", "60")
        submit(organiser, "main form", re.compile(r"/staff/events/\d+/settings$"))
        event_id = int(organiser.url.split("/")[-2])
        visit(organiser, f"/staff/events/{event_id}/edit")
        assert organiser.locator(".badge.warn").count() >= 1  # a draft
        submit(organiser, f"form[action='/staff/events/{event_id}/publish']",
               re.compile(rf"/staff/events/{event_id}/edit$"))
        screenshot(organiser, f"event-published-{locale}")
        for path in (f"/staff/events/{event_id}/team", f"/staff/events/{event_id}/duplicate", "/staff/account"):
            visit(organiser, path)
        slug = public_slug(run_async, event_id)
        visit(organiser, f"/events/{slug}")
        assert title in organiser.content()
    finally:
        newcomer.close()

    # The administrator sees it all in the audit log.
    visit(page, "/staff/audit")
    assert "event.publish" in page.content() and "account.accept_invitation" in page.content()


def public_slug(run_async, event_id: int) -> str:
    from events.tables import Event

    async def query() -> str:
        return (await Event.select(Event.slug).where(Event.id == event_id).first())["slug"]

    return run_async(query)


@pytest.mark.parametrize("locale", ["da", "sv", "en"])
def test_the_password_doors_pass_axe(staff, page, locale):
    visit(page, f"/lang/{locale}?next=/staff/login")
    visit(page, "/staff/password/forgot")
    page.fill("#email", "")
    submit(page, "main form", re.compile(r"/staff/password/forgot$"))
    assert page.locator(".error-summary").count() == 1
    page.fill("#email", "someone@browser.test")
    submit(page, "main form", re.compile(r"/staff/password/forgot$"))
    visit(page, "/staff/welcome/not-a-link", status=410)
    visit(page, "/staff/password/reset/not-a-link", status=410)


@pytest.mark.parametrize("locale", ["da", "sv", "en"])
def test_account_and_token_pages_pass_axe(staff, page, locale):
    log_in(page, staff["admin"], locale)
    visit(page, "/staff/account")
    page.fill("#token_name", f"intranet {locale}")
    with page.expect_navigation():
        page.click("form[action='/staff/account/tokens'] button[type='submit']")
    assert_accessible(page)
    assert page.input_value("#new-token").startswith("sam_")
    visit(page, "/staff/people")
    page.click("table a >> nth=0")
    assert_accessible(page)
    visit(page, "/staff/audit?action=token.")
