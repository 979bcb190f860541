"""The organiser's participant work in a real browser, in Danish, Swedish and English: register someone who
phoned in, export the list, print name badges (print media) and the door list, write to a group; and check-in
scanning a ticket from a camera (Chromium's fake camera plays a QR image) through the vendored jsQR decoder,
then offline: a second scan of the same ticket says so, and a scan made offline is sent once the connection
is back; a scan made after the session ran out waits on the phone until someone signs in again; a scan whose
CSRF token was refused is sent again with a fresh one; a scan refused because the account was taken off the
event's team is listed as not recorded, naming its ticket, until dismissed. axe-core runs on every page.
"""

from __future__ import annotations

import csv
import io
import os
import re
import time
from pathlib import Path

import pytest
from browser_support import assert_accessible, screenshot, visit
from playwright.sync_api import Browser, BrowserContext, Page, expect

pytestmark = pytest.mark.browser

CONFERENCE = "implementeringskonference-koensligestilling-2027"
ORGANISER = {"email": "team.organiser@browser.test", "password": "organiser-password-for-browser-tests"}

TEXT = {
    "da": {"registered": "Personen er tilmeldt", "welcome": "Velkommen: tjekket ind",
           "already": "Allerede tjekket ind", "download": "Hent listen"},
    "sv": {"registered": "Personen är anmäld", "welcome": "Välkommen: incheckad",
           "already": "Redan incheckad", "download": "Ladda ner listan"},
    "en": {"registered": "The person is registered", "welcome": "Welcome: checked in",
           "already": "Already checked in", "download": "Download the list"},
}


# --- set-up ---------------------------------------------------------------------------------------------------

CHROMIUM = os.environ.get("SAMRAD_CHROMIUM", "/usr/bin/chromium")
CAMERA_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
    # A camera without a person: Chromium answers the permission prompt itself and plays a video file.
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
]


@pytest.fixture
def conference(demo, staff, run_async) -> int:
    """The demo conference, with our organiser and the door staff on its team."""
    from events.access import add_to_team
    from events.tables import Event
    from samrad.core.accounts import create_staff_user
    from samrad.core.tables import StaffUser

    async def prepare() -> int:
        event = await Event.select(Event.id).where(Event.slug == CONFERENCE).first()
        if not await StaffUser.exists().where(StaffUser.email == ORGANISER["email"]):
            await create_staff_user(ORGANISER["email"], "Team Organiser", ORGANISER["password"], "organiser")
        for email in (ORGANISER["email"], staff["checkin"]["email"]):
            user = await StaffUser.select(StaffUser.id).where(StaffUser.email == email).first()
            await add_to_team(event["id"], user["id"])
        return event["id"]

    return run_async(prepare)


def log_in(page: Page, account: dict[str, str], locale: str, next_path: str) -> None:
    visit(page, f"/lang/{locale}?next=/staff/login?next={next_path}")
    page.fill("#email", account["email"])
    page.fill("#password", account["password"])
    with page.expect_navigation():
        page.press("#password", "Enter")
    assert_accessible(page)


def submit(page: Page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)
    assert_accessible(page)


# --- the organiser ----------------------------------------------------------------------------------------

def test_phone_in_export_badges_door_list_and_a_group_email_in_each_language(conference, page: Page, tmp_path: Path):
    # One login for the three languages: the server's login limit counts every attempt from this address.
    log_in(page, ORGANISER, "da", f"/staff/events/{conference}/registrations")
    for locale in ("da", "sv", "en"):
        _organiser_pages(page, conference, locale, tmp_path)


def _organiser_pages(page: Page, conference: int, locale: str, tmp_path: Path) -> None:
    text = TEXT[locale]
    base = f"/staff/events/{conference}/registrations"
    name = f"Telefon Deltager {locale.upper()}"
    visit(page, f"/lang/{locale}?next={base}")
    assert page.get_attribute("html", "lang") == locale

    # Someone phoned in: the form, the confirmation, the registration page.
    page.click(f"a[href='{base}/new']")
    page.wait_for_url(re.compile(r"/registrations/new$"))
    assert_accessible(page)
    page.fill("#name", name)
    page.fill("#email", f"phone.{locale}@example.org")
    page.select_option("#locale", locale)
    page.check("#category-citizen")
    page.check("#consent")
    submit(page, "main form button[type=submit]")
    assert re.search(rf"{base}/\d+$", page.url)
    assert text["registered"] in page.locator("[role=status]").first.inner_text()
    assert name in page.locator("h2").first.inner_text()

    # The list finds them; the export is exactly that list.
    visit(page, f"{base}?q={name.replace(' ', '+')}")
    assert page.locator("table.participants tbody tr").count() == 1
    page.click("nav.attendee-actions a[href*='/export']")
    page.wait_for_url(re.compile(r"/export\?"))
    assert_accessible(page)
    page.check("#column-pronouns")
    with page.expect_download() as download_info:
        page.click(f"button:text-is('{text['download']}')")
    saved = tmp_path / f"participants-{locale}.csv"
    download_info.value.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_bytes().decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2 and rows[1][0] == name

    # Badges on A4 sheets, as the printer sees them.
    visit(page, f"/staff/events/{conference}/badges?q={name.replace(' ', '+')}&size=90x55")
    expect(page.locator(".name-badge")).to_have_count(1)
    assert name in page.locator(".name-badge-name").inner_text()
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden() and page.locator("nav.attendee-actions").is_hidden()
    sheet = page.locator(".badge-sheet").first
    assert sheet.evaluate("el => getComputedStyle(el).display") == "grid"
    width_mm = sheet.evaluate("el => el.getBoundingClientRect().width") * 25.4 / 96
    assert abs(width_mm - 210) < 1
    badge = page.locator(".name-badge").first.evaluate("el => el.getBoundingClientRect().width") * 25.4 / 96
    assert abs(badge - 90) < 1
    pdf = page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    page.emulate_media(media="screen")
    if locale == "da":
        screenshot(page, "attendees-badges-da")

    # The door list and the attendance figures.
    visit(page, f"/staff/events/{conference}/door-list")
    names = page.locator("table.door-list tbody th").all_inner_texts()
    assert name in names and len(names) > 10
    visit(page, f"/staff/events/{conference}/attendance")

    # A message to the group: a preview with its count first.
    visit(page, f"/staff/events/{conference}/messages?q={name.replace(' ', '+')}")
    page.fill(f"#subject_{locale}", "Parkering")
    page.fill(f"#body_{locale}", "Kør ind ad porten mod nord.")
    submit(page, "main form[method=post] button[type=submit]")
    assert page.locator("input[name=expected]").get_attribute("value") == "1"


# --- the door ---------------------------------------------------------------------------------------------

def _qr_video(code: str, path: Path) -> Path:
    """A Y4M video (what Chromium's fake camera plays) showing the ticket's QR code, grey on a 640x480 frame."""
    from PIL import Image

    from events.messaging.tickets import qr_png

    qr = Image.open(io.BytesIO(qr_png(code))).convert("L")
    qr = qr.resize((360, 360), Image.NEAREST)
    frame = Image.new("L", (640, 480), 255)
    frame.paste(qr, (140, 60))
    luma = frame.tobytes()
    chroma = bytes([128]) * (320 * 240)
    with path.open("wb") as handle:
        handle.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(10):
            handle.write(b"FRAME\n" + luma + chroma + chroma)
    return path


def _tickets(run_async, conference: int, count: int) -> list[dict[str, str]]:
    from events.tables import Registration

    async def query() -> list[dict[str, str]]:
        return await Registration.select(Registration.ticket_code, Registration.name).where(
            (Registration.event == conference) & (Registration.status == "confirmed")
            & Registration.checked_in_at.is_null()
        ).order_by(Registration.id, ascending=False).limit(count)

    return run_async(query)


def _on_team(run_async, conference: int, email: str, on: bool) -> None:
    from events.access import add_to_team, remove_from_team
    from samrad.core.tables import StaffUser

    async def change() -> None:
        user = await StaffUser.select(StaffUser.id).where(StaffUser.email == email).first()
        await (add_to_team if on else remove_from_team)(conference, user["id"])

    run_async(change)


def _checked_in(run_async, code: str) -> bool:
    from events.tables import Registration

    async def query() -> bool:
        row = await Registration.select(Registration.checked_in_at).where(Registration.ticket_code == code).first()
        return row["checked_in_at"] is not None

    return run_async(query)


@pytest.fixture
def camera_context(browser: Browser, server: str, conference: int, tmp_path: Path, run_async):
    """A second Chromium whose camera shows a real ticket's QR code."""
    ticket, spare, late, fresh, refused = _tickets(run_async, conference, 5)
    video = _qr_video(ticket["ticket_code"], tmp_path / "ticket.y4m")
    camera = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=[*CAMERA_FLAGS, f"--use-file-for-fake-video-capture={video}"],
    )
    context: BrowserContext = camera.new_context(
        base_url=server, locale="da-DK", viewport={"width": 412, "height": 900}
    )
    context.grant_permissions(["camera"], origin=server)
    context.set_default_timeout(15_000)
    try:
        yield context, ticket, spare, late, fresh, refused, conference
    finally:
        context.close()
        camera.close()


def test_scanning_a_ticket_with_the_camera_and_offline(camera_context, staff, run_async):
    context, ticket, spare, late, fresh, refused, conference = camera_context
    text = TEXT["da"]
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, staff["checkin"], "da", f"/staff/checkin/{conference}")
    # The ticket list reaches the phone, so the door works offline too.
    expect(page.locator("[data-checkin-queue]")).to_contain_text("telefon")

    # The camera: Chromium on Linux has no BarcodeDetector, so this is the vendored jsQR reading the frames.
    assert page.evaluate("() => !('BarcodeDetector' in window) && typeof window.jsQR === 'function'")
    page.click("[data-scan-camera]")
    live = page.locator("[data-checkin-live]")
    expect(live.locator("h3")).to_have_text(text["welcome"], timeout=20_000)
    assert ticket["name"] in live.inner_text()
    page.click("[data-scan-stop]")
    deadline = time.monotonic() + 10
    while not _checked_in(run_async, ticket["ticket_code"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _checked_in(run_async, ticket["ticket_code"])
    assert_accessible(page)
    screenshot(page, "attendees-camera-checkin-da")

    # The connection drops: the same ticket again is answered from the list on the phone.
    context.set_offline(True)
    page.fill("#code", ticket["ticket_code"])
    page.press("#code", "Enter")
    expect(live.locator("h3")).to_have_text(text["already"])
    # Another ticket while offline: welcomed now, queued, and sent once the connection is back.
    page.fill("#code", spare["ticket_code"].lower())
    page.press("#code", "Enter")
    expect(live.locator("h3")).to_have_text(text["welcome"])
    assert "forbindelse" in live.inner_text()
    assert not _checked_in(run_async, spare["ticket_code"])
    page.fill("#code", spare["ticket_code"])
    page.press("#code", "Enter")
    expect(live.locator("h3")).to_have_text(text["already"])
    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    deadline = time.monotonic() + 15
    while not _checked_in(run_async, spare["ticket_code"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _checked_in(run_async, spare["ticket_code"])
    expect(page.locator("[data-checkin-queue]")).not_to_contain_text("venter")

    # The session runs out while the page stays open: the server refuses the scan (401), and the scan stays in
    # the phone's queue (not lost) until someone signs in again on this phone; then it is sent, once.
    context.clear_cookies(name="samrad_session")
    page.fill("#code", late["ticket_code"])
    page.press("#code", "Enter")
    expect(live.locator("h3")).to_have_text(text["welcome"])
    expect(page.locator("[data-checkin-queue]")).to_contain_text("logget ud")
    assert not _checked_in(run_async, late["ticket_code"])
    log_in(page, staff["checkin"], "da", f"/staff/checkin/{conference}")
    deadline = time.monotonic() + 15
    while not _checked_in(run_async, late["ticket_code"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _checked_in(run_async, late["ticket_code"])
    expect(page.locator("[data-checkin-queue]")).not_to_contain_text("venter")

    # The CSRF cookie is gone (the browser was restarted with the tab kept): the server refuses the page's token
    # (403, code "csrf"); the page fetches itself again for a fresh token and sends the scan once more.
    refused_list = page.locator("[data-checkin-refused]")
    context.clear_cookies(name="samrad_csrf")
    page.fill("#code", fresh["ticket_code"])
    page.press("#code", "Enter")
    deadline = time.monotonic() + 15
    while not _checked_in(run_async, fresh["ticket_code"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _checked_in(run_async, fresh["ticket_code"])
    expect(page.locator("[data-checkin-queue]")).not_to_contain_text("venter")
    expect(refused_list).to_be_empty()

    # Taken off the event's team while the page is open: the phone says "Welcome" from its list, the server
    # refuses the scan (403, code "forbidden"), and the door is told so, in a live region, naming the ticket; the
    # ticket no longer counts as checked in on the phone, and the list stays (a reload too) until dismissed.
    code = refused["ticket_code"]
    _on_team(run_async, conference, staff["checkin"]["email"], on=False)
    try:
        page.fill("#code", code)
        page.press("#code", "Enter")
        expect(refused_list.locator("li")).to_have_text([
            f"Indtjekningen af {code} blev ikke registreret: denne konto må muligvis ikke længere tjekke folk ind "
            "til dette arrangement."])
        assert refused_list.get_attribute("aria-live") == "assertive"
        expect(live).to_be_hidden()  # no "Welcome" left standing for it
        expect(page.locator("[data-checkin-queue]")).not_to_contain_text("venter")
        assert not _checked_in(run_async, code)
        stored = page.evaluate(f"() => JSON.parse(localStorage.getItem('samrad-checkin-tickets-{conference}'))")
        assert stored[code]["checked_in"] is False
        assert_accessible(page)
        screenshot(page, "attendees-checkin-refused-da")
    finally:
        _on_team(run_async, conference, staff["checkin"]["email"], on=True)
    page.reload()
    expect(refused_list.locator("li")).to_have_count(1)
    expect(refused_list).to_contain_text(code)
    page.click("[data-checkin-refused-dismiss]")
    expect(refused_list).to_be_empty()
    expect(page.locator("#code")).to_be_focused()
    page.reload()
    expect(page.locator("[data-checkin-queue]")).to_contain_text("telefon")
    expect(refused_list).to_be_empty()
    assert not _checked_in(run_async, code)
    assert not errors, errors
