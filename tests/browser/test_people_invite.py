"""People and roles in a real browser, the back office's whole journey: an administrator invites an organiser,
who follows the link from the email, chooses a password, creates an event, asks the workshop question, adds a
workshop (the staff workshop form), publishes the event, registers someone who phoned in (with the workshop),
exports the list and opens the name badges (print media). In Danish, Swedish and English, with axe-core on every
page on the way (and on the other pages of people, accounts, teams and the audit log). The journey ends at the
door: in Danish the organiser's phone scans the phone-in's ticket from a fake camera through the vendored jsQR,
in Swedish and English the code is typed in.
"""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from browser_support import assert_accessible, screenshot, visit
from playwright.sync_api import Browser, Page, expect

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


WORKSHOP = {"da": "Ligeløn i praksis", "sv": "Lika lön i praktiken", "en": "Equal pay in practice"}
PHONE_IN = {"da": "Telefon Tilmeldt", "sv": "Telefon Anmäld", "en": "Phone Registered"}


@pytest.mark.parametrize("locale", ["da", "sv", "en"])
def test_an_invited_organiser_sets_up_publishes_and_prepares_an_event_with_workshops(
    staff, run_async, server, page, context, locale, tmp_path
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
    newcomer.set_default_timeout(15_000)
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
        # The settings page the new event lands on: ask for workshops and pronouns on the registration form.
        organiser.check("#question-workshops")
        organiser.check("#question-pronouns")
        submit(organiser, "main form", re.compile(rf"/staff/events/{event_id}/settings$"))
        assert organiser.is_checked("#question-workshops") and organiser.is_checked("#question-pronouns")

        workshop_id = add_workshop(organiser, event_id, WORKSHOP[locale], locale)

        visit(organiser, f"/staff/events/{event_id}/edit")
        assert organiser.locator(".badge.warn").count() >= 1  # a draft
        submit(organiser, f"form[action='/staff/events/{event_id}/publish']",
               re.compile(rf"/staff/events/{event_id}/edit$"))
        screenshot(organiser, f"event-published-{locale}")
        for path in (f"/staff/events/{event_id}/team", f"/staff/events/{event_id}/duplicate", "/staff/account"):
            visit(organiser, path)
        slug = public_slug(run_async, event_id)
        visit(organiser, f"/events/{slug}")
        assert title in organiser.content() and WORKSHOP[locale] in organiser.content()

        ticket = register_phone_in(organiser, run_async, event_id, workshop_id, locale)
        export_the_list(organiser, event_id, locale, tmp_path)
        print_badges(organiser, event_id, locale)
        if locale == "da":
            scan_at_the_door(context.browser, server, newcomer, event_id, ticket, tmp_path, run_async)
        else:
            type_at_the_door(organiser, event_id, ticket, locale, run_async)
    finally:
        newcomer.close()

    # The administrator sees it all in the audit log.
    visit(page, "/staff/audit")
    for action in ("event.publish", "account.accept_invitation", "workshop.create", "registration.add_by_staff"):
        assert action in page.content(), action


def add_workshop(organiser: Page, event_id: int, title: str, locale: str) -> int:
    """The Workshops tab of the event: a new workshop through the staff form (the event's time, one table)."""
    listing = f"/staff/events/{event_id}/workshops"
    visit(organiser, listing)
    organiser.click(f"main a[href='{listing}/new']")
    organiser.wait_for_url(re.compile(re.escape(listing) + "/new$"))
    assert_accessible(organiser)
    organiser.fill(f"#title_{locale}", title)
    organiser.fill("#room", "Lokale 2.12")
    organiser.fill("#capacity", "20")
    submit(organiser, "main form", re.compile(re.escape(listing) + r"#workshop-\d+$"))
    workshop_id = int(organiser.url.rsplit("#workshop-", 1)[1])
    expect(organiser.locator(f"#workshop-{workshop_id}")).to_contain_text(title)
    return workshop_id


def register_phone_in(organiser: Page, run_async, event_id: int, workshop_id: int, locale: str) -> str:
    """Someone phoned in: registered with the workshop and pronouns; the normal confirmation, marked as added
    by staff. Returns their ticket code."""
    base = f"/staff/events/{event_id}/registrations"
    visit(organiser, base)
    organiser.click(f"nav.attendee-actions a[href='{base}/new']")
    organiser.wait_for_url(re.compile(r"/registrations/new$"))
    assert_accessible(organiser)
    organiser.fill("#name", PHONE_IN[locale])
    organiser.fill("#email", f"phone.in.{locale}@example.org")
    organiser.select_option("#locale", locale)
    organiser.check(f"#workshop-{workshop_id}")
    organiser.fill("#pronouns", "hen")
    organiser.check("#consent")
    submit(organiser, "main form", re.compile(rf"{base}/\d+$"))
    assert PHONE_IN[locale] in organiser.locator("h2").first.inner_text()
    details = organiser.locator("dl.details").inner_text()
    assert WORKSHOP[locale] in details
    expect(organiser.locator("dl.details .badge.info")).to_have_count(1)  # added by staff
    return confirmation_ticket(run_async, f"phone.in.{locale}@example.org")


def confirmation_ticket(run_async, email: str) -> str:
    from events.tables import Registration
    from samrad.core.tables import OutboxMessage

    async def query() -> str:
        message = await OutboxMessage.select(OutboxMessage.kind).where(OutboxMessage.to_address == email).first()
        assert message is not None and message["kind"] == "notice.confirmed", message
        row = await Registration.select(Registration.ticket_code, Registration.added_by_staff).where(
            Registration.email == email).first()
        assert row["added_by_staff"]
        return row["ticket_code"]

    return run_async(query)


def export_the_list(organiser: Page, event_id: int, locale: str, tmp_path: Path) -> None:
    """The export page of the (unfiltered) list: the default columns as semicolon CSV with a BOM."""
    visit(organiser, f"/staff/events/{event_id}/registrations")
    organiser.click("nav.attendee-actions a[href*='/export']")
    organiser.wait_for_url(re.compile(rf"/staff/events/{event_id}/export$"))
    assert_accessible(organiser)
    with organiser.expect_download() as download_info:
        organiser.click(f"form[action='/staff/events/{event_id}/export/list'] button[type=submit]")
    saved = tmp_path / f"participants-{locale}.csv"
    download_info.value.save_as(saved)
    content = saved.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2 and rows[1][0] == PHONE_IN[locale] and WORKSHOP[locale] in rows[1]


def print_badges(organiser: Page, event_id: int, locale: str) -> None:
    """The name badges, as the printer sees them: one badge with name, pronouns, workshop and QR code."""
    visit(organiser, f"/staff/events/{event_id}/registrations")
    organiser.click("nav.attendee-actions a[href*='/badges']")
    organiser.wait_for_url(re.compile(rf"/staff/events/{event_id}/badges$"))
    assert_accessible(organiser)
    badge = organiser.locator(".name-badge")
    expect(badge).to_have_count(1)
    expect(badge.locator(".name-badge-name")).to_have_text(PHONE_IN[locale])
    expect(badge.locator(".name-badge-pronouns")).to_have_text("hen")
    expect(badge.locator(".name-badge-workshops")).to_have_text(WORKSHOP[locale])
    expect(badge.locator("img.name-badge-qr")).to_be_visible()
    organiser.emulate_media(media="print")
    assert organiser.locator(".site-header").is_hidden() and organiser.locator("nav.attendee-actions").is_hidden()
    assert badge.is_visible()
    assert organiser.pdf(prefer_css_page_size=True).startswith(b"%PDF")
    organiser.emulate_media(media="screen")
    screenshot(organiser, f"journey-badges-{locale}")


WELCOME = {"da": "Velkommen: tjekket ind", "sv": "Välkommen: incheckad", "en": "Welcome: checked in"}


def type_at_the_door(organiser: Page, event_id: int, ticket: str, locale: str, run_async) -> None:
    """The check-in page in this language: the ticket code typed in (the keyboard path next to the camera)."""
    from test_attendees import _checked_in

    visit(organiser, f"/staff/checkin/{event_id}")
    organiser.fill("#code", ticket.lower())
    organiser.press("#code", "Enter")
    live = organiser.locator("[data-checkin-live]")
    expect(live.locator("h3")).to_have_text(WELCOME[locale])
    assert PHONE_IN[locale] in live.inner_text()
    deadline = time.monotonic() + 10
    while not _checked_in(run_async, ticket) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _checked_in(run_async, ticket)
    assert_accessible(organiser)


def scan_at_the_door(browser: Browser, server: str, organiser_context, event_id: int, ticket: str,
                     tmp_path: Path, run_async) -> None:
    """The organiser's phone (their session, a camera that shows the phone-in's ticket) checks the ticket in
    through the vendored jsQR (Chromium on Linux has no BarcodeDetector)."""
    from test_attendees import CAMERA_FLAGS, CHROMIUM, _checked_in, _qr_video

    video = _qr_video(ticket, tmp_path / "ticket.y4m")
    camera = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True, args=[*CAMERA_FLAGS, f"--use-file-for-fake-video-capture={video}"],
    )
    try:
        phone_context = camera.new_context(base_url=server, locale="da-DK", viewport={"width": 412, "height": 900},
                                           storage_state=organiser_context.storage_state())
        phone_context.grant_permissions(["camera"], origin=server)
        phone_context.set_default_timeout(15_000)
        phone = phone_context.new_page()
        errors: list[str] = []
        phone.on("pageerror", lambda error: errors.append(str(error)))
        visit(phone, f"/staff/checkin/{event_id}")
        assert phone.evaluate("() => !('BarcodeDetector' in window) && typeof window.jsQR === 'function'")
        phone.click("[data-scan-camera]")
        live = phone.locator("[data-checkin-live]")
        expect(live.locator("h3")).to_have_text(WELCOME["da"], timeout=20_000)
        assert PHONE_IN["da"] in live.inner_text()
        phone.click("[data-scan-stop]")
        deadline = time.monotonic() + 10
        while not _checked_in(run_async, ticket) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _checked_in(run_async, ticket)
        assert_accessible(phone)
        assert not errors, errors
        phone_context.close()
    finally:
        camera.close()


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
