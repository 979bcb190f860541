"""Capture in a real browser: a facilitator logs in with the keyboard, captures with Enter, loses the connection,
keeps capturing, reloads the page offline (the service worker serves it), comes back online, and every entry is
stored exactly once and shown exactly once on the live wall open in a second page all along; a participant joins
by code on a phone; axe-core on the capture, queue and join pages in da, sv and en.
"""

from __future__ import annotations

import asyncio
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from browser_support import LOCALES, assert_accessible, focus_is_visible, has_horizontal_scroll, tab_to, visit
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

FACILITATOR = {"email": "table.host@browser.test", "password": "table-host-password-for-browser-tests"}
ONLINE = ("Flere bænke ved søen", "Trygghetsvandring med unga", "Better lighting at the bus stops")
OFFLINE = ("Skriv forældre i brevene – ikke mor og far", "Changing rooms where you can be alone")


def _run(coroutine_function):
    """Database work in a loop and thread of its own (Playwright's sync API holds this thread's loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine_function()).result()


@pytest.fixture(scope="module")
def workshop(demo) -> dict:
    """A demo conference workshop, its join code, and a facilitator assigned to it."""
    from samrad.core.accounts import create_staff_user
    from samrad.core.tables import StaffUser
    from workshops.access import assignment_key
    from workshops.tables import Workshop, WorkshopFacilitator

    async def create() -> dict:
        row = await Workshop.select(Workshop.id, Workshop.event, Workshop.join_code).order_by(Workshop.id).first()
        await create_staff_user(FACILITATOR["email"], "Table Host", FACILITATOR["password"], "facilitator")
        user = await StaffUser.select(StaffUser.id).where(StaffUser.email == FACILITATOR["email"]).first()
        await WorkshopFacilitator(workshop=row["id"], staff_user=user["id"],
                                  assignment_key=assignment_key(row["id"], user["id"])).save()
        return row

    return _run(create)


def log_in(page: Page, account: dict[str, str], locale: str, next_path: str) -> None:
    """The login form with the keyboard only: Tab to each field, type, Enter."""
    visit(page, f"/lang/{locale}?next=/staff/login?next={next_path}")
    assert focus_is_visible(tab_to(page, "#email"))
    page.keyboard.type(account["email"])
    tab_to(page, "#password")
    page.keyboard.type(account["password"])
    with page.expect_navigation(url=re.compile(re.escape(next_path) + "$")):
        page.keyboard.press("Enter")
    assert_accessible(page)


def capture(page: Page, text: str) -> None:
    """Type into the box (it keeps the focus) and press Enter: the entry is listed at once and the box is empty."""
    assert page.evaluate("() => document.activeElement && document.activeElement.id") == "text"
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    expect(page.locator("#text")).to_have_value("")
    expect(page.locator(".captured-item", has_text=text)).to_have_count(1)
    assert page.evaluate("() => document.activeElement.id") == "text", "the focus stays in the box"


def eventually(page: Page, script: str, holds, arg=None, seconds: float = 10.0):
    """The value of ``script`` (a function, awaited when it returns a promise) once ``holds`` accepts it, or the
    last one read after ``seconds``. (``wait_for_function`` returns once a promise settles, whatever its value.)"""
    deadline = time.monotonic() + seconds
    while not holds(value := page.evaluate(script, arg)) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    return value


def entry_state(page: Page, text: str):
    return page.locator(".captured-item", has_text=text).locator("[data-state]")


def stored_texts(run_async, workshop_id: int) -> list[str]:
    from feedback.tables import InputItem

    async def query() -> list[str]:
        rows = await InputItem.select(InputItem.text).where(InputItem.workshop == workshop_id)
        return [row["text"] for row in rows]

    return run_async(query)


def wall_cards(wall: Page, text: str):
    return wall.locator(".wall-card", has_text=text)


def test_capture_keeps_working_offline_and_stores_each_entry_once(browser: Browser, server, workshop, run_async):
    """The wall is open in a second page of the same browser from the start: the first three entries reach it
    live; it goes offline with the capture page, reconnects by itself when the connection is back, and then shows
    each of the five entries exactly once, without having been reloaded."""
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900}, locale="da-DK",
                                  timezone_id="Europe/Copenhagen", reduced_motion="reduce")
    context.set_default_timeout(15_000)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        capture_path = f"/staff/workshops/{workshop['id']}/capture"
        log_in(page, FACILITATOR, "da", capture_path)
        # The service worker takes over and a copy of the page is kept for offline use.
        page.wait_for_function("() => navigator.serviceWorker.ready.then(() => true)")
        assert eventually(page, "(path) => caches.open('samrad-capture-pages').then(c => c.match(path)).then(r => !!r)",
                          bool, capture_path)

        # The wall, in a second page, following its stream; a mark on its window shows it is never reloaded.
        wall = context.new_page()
        wall.on("pageerror", lambda error: errors.append(f"wall: {error}"))
        wall.goto(f"/workshops/{workshop['id']}/wall")
        expect(wall.locator("body")).to_have_attribute("data-live", "true")
        wall.evaluate("() => { window.sameWallPage = true; }")
        cards_before = wall.locator(".wall-card").count()
        page.bring_to_front()

        for text in ONLINE:
            capture(page, text)
            expect(entry_state(page, text)).to_have_text("Gemt")
            # A saved entry gets the edit link and the undo button, as the listed ones have.
            row = page.locator(".captured-item", has_text=text)
            expect(row.locator("a[href^='/staff/input/']")).to_have_count(1)
            expect(row.locator("form[action$='/undo'] button")).to_have_count(1)
            expect(wall_cards(wall, text)).to_have_count(1, timeout=5_000)  # live, through the stream
        status = page.locator("[data-capture-status]")
        expect(status).to_have_attribute("data-waiting-count", "0")

        context.set_offline(True)  # both pages: the wall drops its stream and says it is reconnecting
        expect(wall.locator("body")).to_have_attribute("data-live", "false")
        for text in OFFLINE:
            capture(page, text)
            expect(entry_state(page, text)).to_have_text("Venter")
        expect(status).to_have_attribute("data-waiting-count", "2")
        expect(status).to_contain_text("Venter på at blive sendt: 2")
        assert_accessible(page)

        page.reload()  # offline: the service worker answers with the page it kept
        assert page.evaluate("() => navigator.serviceWorker.controller !== null")
        for text in OFFLINE:
            expect(entry_state(page, text)).to_have_text("Venter")
            expect(wall_cards(wall, text)).to_have_count(0)
        # Entries saved since the kept copy was made are listed from the browser's store, with their actions.
        for text in ONLINE:
            expect(entry_state(page, text)).to_have_text("Gemt")
            expect(page.locator(".captured-item", has_text=text).locator("a[href^='/staff/input/']")).to_have_count(1)
        expect(status).to_have_attribute("data-waiting-count", "2")
        assert page.evaluate("() => document.activeElement.id") == "text"

        context.set_offline(False)
        for text in OFFLINE:
            expect(entry_state(page, text)).to_have_text("Gemt", timeout=40_000)
        expect(status).to_have_attribute("data-waiting-count", "0")
        expect(status).to_have_text("Alt er gemt.")

        stored = stored_texts(run_async, workshop["id"])
        for text in ONLINE + OFFLINE:
            assert stored.count(text) == 1, (text, stored.count(text))

        # The wall reconnected by itself and shows each entry exactly once, and nothing twice.
        expect(wall.locator("body")).to_have_attribute("data-live", "true", timeout=20_000)
        for text in ONLINE + OFFLINE:
            expect(wall_cards(wall, text)).to_have_count(1, timeout=20_000)
        expect(wall.locator(".wall-card")).to_have_count(cards_before + len(ONLINE + OFFLINE))
        ids = wall.locator(".wall-card").evaluate_all("cards => cards.map(card => card.dataset.id)")
        assert len(ids) == len(set(ids)), "no item is shown twice"
        assert wall.evaluate("() => window.sameWallPage === true"), "the wall followed its stream, no reload"

        # Logging out takes the kept page and the saved entries off the device; an entry still waiting (of
        # another workshop here, so this page does not send it first) stays, to be sent after the next login.
        page.bring_to_front()
        page.evaluate(WAITING_ELSEWHERE)
        assert set(page.evaluate(ENTRY_STATES)) == {"saved", "waiting"}
        with page.expect_navigation(url=re.compile(r"/staff/login\?logged_out=1$")):
            page.locator(".staff-logout button").click()
        kept = eventually(page, "() => caches.keys()", lambda names: "samrad-capture-pages" not in names)
        assert "samrad-capture-pages" not in kept
        assert eventually(page, ENTRY_STATES, lambda states: states == ["waiting"]) == ["waiting"]
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the pages: {errors}"


# The capture page's store in the browser (static/js/capture.js): an entry of another workshop, waiting.
WAITING_ELSEWHERE = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("samrad-capture", 1);
  open.onsuccess = () => {
    const transaction = open.result.transaction("entries", "readwrite");
    transaction.objectStore("entries").put({client_id: "still-waiting", workshop_id: -1, state: "waiting",
                                            text: "Said just before the logout", created: Date.now()});
    transaction.oncomplete = () => { open.result.close(); resolve(true); };
    transaction.onerror = () => reject(transaction.error);
  };
})"""
ENTRY_STATES = """() => new Promise((resolve) => {
  const open = indexedDB.open("samrad-capture", 1);
  open.onsuccess = () => {
    const all = open.result.transaction("entries").objectStore("entries").getAll();
    all.onsuccess = () => { open.result.close(); resolve(all.result.map(entry => entry.state)); };
  };
})"""


def test_a_participant_joins_by_code_on_a_phone_and_sends_input(browser: Browser, server, workshop, run_async):
    context = browser.new_context(base_url=server, viewport={"width": 390, "height": 844}, locale="sv-SE",
                                  is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        visit(page, "/")
        tab_to(page, "#join-box-code")
        page.keyboard.type(workshop["join_code"].lower())
        with page.expect_navigation(url=re.compile(f"/j/{workshop['join_code']}$")):
            page.keyboard.press("Enter")
        assert_accessible(page)
        assert not has_horizontal_scroll(page)
        expect(page.locator("h2", has_text="Anonymt")).to_be_visible()

        tab_to(page, "#text")
        page.keyboard.type("Fler sittplatser i foajén för den som behöver vila")
        tab_to(page, ".participate-form button[type=submit]")
        with page.expect_navigation(url=re.compile(r"\?sent=(published|held)$")):
            page.keyboard.press("Enter")
        assert_accessible(page)
        expect(page.get_by_role("status").first).to_contain_text("Tack!")
        assert not has_horizontal_scroll(page)
    finally:
        context.close()
    assert "Fler sittplatser i foajén för den som behöver vila" in stored_texts(run_async, workshop["id"])


@pytest.mark.parametrize("locale", LOCALES)
def test_capture_queue_and_join_pages_pass_axe(page: Page, staff, workshop, locale):
    log_in(page, staff["admin"], locale, f"/staff/workshops/{workshop['id']}/capture")
    expect(page.locator("[data-capture-status]")).to_be_attached()
    visit(page, f"/staff/workshops/{workshop['id']}/queue")
    item_link = page.locator("[data-action=open]").first
    href = item_link.get_attribute("href")
    visit(page, href)
    visit(page, f"/staff/events/{workshop['event']}/queue")
    visit(page, f"/staff/events/{workshop['event']}/input-settings")
    visit(page, f"/j/{workshop['join_code']}")
    visit(page, "/j")
    visit(page, "/j?code=NOSUCH", status=404)


def test_a_suggested_theme_is_accepted_with_the_keyboard(page: Page, staff, workshop):
    """Suggestions come from the themes engine (``feedback.themes``); accepting one records its rank and score."""
    from feedback.tables import InputTag

    log_in(page, staff["admin"], "da", f"/staff/workshops/{workshop['id']}/capture")
    text = "Lønstatistik fordelt på køn, så vi kan se forskellene i løn mellem mænd og kvinder"
    page.keyboard.type(text)
    chip = page.locator("[data-suggestion]").first
    expect(chip).to_be_attached(timeout=5_000)
    assert_accessible(page)
    tab_to(page, "[data-suggestion]")
    page.keyboard.press("Space")
    tab_to(page, "#text", backwards=True)
    page.keyboard.press("Enter")
    expect(page.locator(".captured-item", has_text=text).locator("[data-state]")).to_have_text("Gemt")

    async def tags() -> list[dict]:
        return await InputTag.select(InputTag.chosen, InputTag.suggestion_rank, InputTag.suggestion_score).where(
            InputTag.input_item.text == text
        )

    [tag] = _run(tags)
    assert tag["chosen"] == "suggestion" and tag["suggestion_rank"] >= 1 and tag["suggestion_score"] is not None


def test_the_capture_page_fits_a_phone(browser: Browser, server, staff, workshop):
    context = browser.new_context(base_url=server, viewport={"width": 390, "height": 844}, locale="da-DK",
                                  is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        log_in(page, staff["admin"], "da", f"/staff/workshops/{workshop['id']}/capture")
        assert not has_horizontal_scroll(page)
        assert page.evaluate("() => document.activeElement.id") == "text"
        # Shift+Enter starts a new line in the box; it does not save.
        page.keyboard.type("Første linje")
        page.keyboard.press("Shift+Enter")
        page.keyboard.type("anden linje")
        expect(page.locator("#text")).to_have_value("Første linje\nanden linje")
        expect(page.locator(".captured-item", has_text="Første linje")).to_have_count(0)
    finally:
        context.close()


def test_the_queue_answers_to_keyboard_shortcuts(page: Page, staff, workshop):
    """j moves to the first item (held input comes first), a approves it."""
    from feedback.tables import InputItem

    async def held() -> list[int]:
        rows = await InputItem.select(InputItem.id).where(
            (InputItem.workshop == workshop["id"]) & (InputItem.status == "held"))
        return [row["id"] for row in rows]

    waiting = _run(held)
    assert waiting, "the demo holds a participant's input at this workshop"
    log_in(page, staff["admin"], "da", f"/staff/workshops/{workshop['id']}/queue")
    page.keyboard.press("j")
    expect(page.locator(f"#input-{waiting[0]}")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("a")
    assert_accessible(page)
    assert waiting[0] not in _run(held)
