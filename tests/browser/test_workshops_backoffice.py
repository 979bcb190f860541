"""Setting up workshops in a real browser: an organiser, with the keyboard only, creates a workshop with two
tables and a facilitator, opens its poster (print media emulated); the facilitator then finds it under "My
workshops". axe-core runs on every page visited, in Danish, Swedish and English."""

from __future__ import annotations

import re

import pytest
from browser_support import assert_accessible, focus_is_visible, screenshot, tab_to, visit
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

CONFERENCE = "implementeringskonference-koensligestilling-2027"
ORGANISER = {"email": "planner@browser.test", "password": "planner-password-for-browser-tests",
             "name": "Petra Planner"}
FACILITATOR = {"email": "table@browser.test", "password": "table-password-for-browser-tests",
               "name": "Frej Facilitator"}


@pytest.fixture
def setup(demo, run_async) -> dict[str, int]:
    """The demo conference, an organiser on its team and a facilitator (made once for the module's tests)."""
    from events.access import add_to_team
    from events.tables import Event
    from samrad.core import db
    from samrad.core.accounts import create_staff_user
    from samrad.core.tables import StaffUser

    async def prepare() -> dict[str, int]:
        event = await Event.select(Event.id).where(Event.slug == CONFERENCE).first()
        ids = {"event": event["id"]}
        for role, account in (("organiser", ORGANISER), ("facilitator", FACILITATOR)):
            if not await StaffUser.exists().where(StaffUser.email == account["email"]):
                await create_staff_user(account["email"], account["name"], account["password"], role)
            row = await StaffUser.select(StaffUser.id).where(StaffUser.email == account["email"]).first()
            ids[role] = row["id"]
        async with db.atomic():
            await add_to_team(event["id"], ids["organiser"])
        return ids

    return run_async(prepare)


def press_and_wait(page: Page, key: str, url: str | re.Pattern[str] | None = None) -> None:
    with page.expect_navigation(url=url) if url else page.expect_navigation():
        page.keyboard.press(key)
    assert_accessible(page)


def log_in(page: Page, account: dict[str, str], locale: str, next_path: str) -> None:
    visit(page, f"/lang/{locale}?next=/staff/login?next={next_path}")
    assert focus_is_visible(tab_to(page, "#email"))
    page.keyboard.type(account["email"])
    tab_to(page, "#password")
    page.keyboard.type(account["password"])
    press_and_wait(page, "Enter", re.compile(re.escape(next_path) + "$"))


def type_into(page: Page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def new_workshop_id(run_async, title: str) -> int:
    from workshops.tables import Workshop

    async def query() -> int:
        rows = await Workshop.select(Workshop.id, Workshop.title).output(load_json=True)
        return next(row["id"] for row in rows if row["title"].get("en") == title)

    return run_async(query)


def test_an_organiser_sets_up_a_workshop_with_the_keyboard_and_the_facilitator_finds_it(
    setup, run_async, context, page
):
    listing = f"/staff/events/{setup['event']}/workshops"
    log_in(page, ORGANISER, "da", listing)
    expect(page.locator("h2", has_text="Workshops")).to_be_visible()

    tab_to(page, f"main a[href='{listing}/new']")
    press_and_wait(page, "Enter", re.compile(re.escape(listing) + "/new$"))
    # Sent without a title: the form comes back with an error summary that links to the field.
    tab_to(page, "main form button[type=submit]")
    press_and_wait(page, "Enter")
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#error-summary a[href='#title_da']")).to_be_visible()

    type_into(page, "#title_da", "Tryghed i nattelivet")
    type_into(page, "#title_sv", "Trygghet i nattlivet")
    type_into(page, "#title_en", "Safety at night")
    type_into(page, "#room", "Lokale 2.12")
    type_into(page, "#capacity", "24")
    type_into(page, "#table_count", "2")
    state = tab_to(page, f"#facilitator-{setup['facilitator']}")
    assert focus_is_visible(state)
    page.keyboard.press("Space")
    assert page.locator(f"#facilitator-{setup['facilitator']}").is_checked()
    tab_to(page, "main form button[type=submit]")
    press_and_wait(page, "Enter", re.compile(re.escape(listing) + r"#workshop-\d+$"))

    workshop_id = new_workshop_id(run_async, "Safety at night")
    card = page.locator(f"#workshop-{workshop_id}")
    expect(card).to_contain_text("Tryghed i nattelivet")
    expect(card).to_contain_text("Bord 1")
    expect(card).to_contain_text("Bord 2")
    expect(card).to_contain_text(FACILITATOR["name"])
    screenshot(page, "workshop-list")
    codes = card.locator(".join-code").all_inner_texts()
    assert len(codes) == 3 and all(len(code) == 6 for code in codes)

    # The poster, printed: one sheet with the QR code and the code in large type, nothing of the page around.
    tab_to(page, f"a[href='/staff/workshops/{workshop_id}/poster']")
    press_and_wait(page, "Enter", re.compile(rf"/staff/workshops/{workshop_id}/poster$"))
    page.emulate_media(media="print")
    expect(page.locator(".poster-qr")).to_be_visible()
    expect(page.locator(".poster-code")).to_have_text(codes[0])
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".poster-controls").first).to_be_hidden()
    code_size = page.locator(".poster-code").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert code_size > 90, "the code is set very large on the sheet"
    assert_accessible(page)
    screenshot(page, "workshop-poster-print")
    page.emulate_media(media="screen")

    # The A5 choice, with the keyboard: Tab into the radio group, an arrow key to the next choice.
    tab_to(page, "#size-a4")
    page.keyboard.press("ArrowDown")
    assert page.locator("#size-a5").is_checked()
    tab_to(page, ".poster-controls button[type=submit]")
    press_and_wait(page, "Enter", re.compile(r"size=a5"))
    expect(page.locator(".posters.poster-a5")).to_be_visible()

    # The facilitator logs in and finds the workshop under "My workshops" from the dashboard.
    facilitator_page = context.browser.new_context(base_url=page.url.split("/staff")[0], locale="da-DK").new_page()
    log_in(facilitator_page, FACILITATOR, "da", "/staff")
    tab_to(facilitator_page, "main a[href='/staff/workshops']")
    press_and_wait(facilitator_page, "Enter", re.compile(r"/staff/workshops$"))
    expect(facilitator_page.locator("main")).to_contain_text("Tryghed i nattelivet")
    expect(facilitator_page.locator(f"a[href='/staff/workshops/{workshop_id}/capture']")).to_have_count(1)
    assert facilitator_page.locator("main").inner_text().count("Lige muligheder") == 0, "not assigned to it"
    facilitator_page.context.close()


@pytest.mark.parametrize("locale", ["da", "sv", "en"])
def test_every_workshop_page_passes_axe_in_each_language(setup, run_async, browser, server, locale):
    from workshops.tables import Workshop

    async def first_workshop() -> int:
        return (await Workshop.select(Workshop.id).where(Workshop.event == setup["event"]).order_by(
            Workshop.position).first())["id"]

    workshop_id = run_async(first_workshop)
    context = browser.new_context(base_url=server, locale="da-DK")
    page = context.new_page()
    listing = f"/staff/events/{setup['event']}/workshops"
    log_in(page, ORGANISER, locale, listing)
    for path in (f"{listing}/new", f"/staff/workshops/{workshop_id}/edit", f"/staff/workshops/{workshop_id}/remove",
                 f"/staff/workshops/{workshop_id}/poster", f"/staff/workshops/{workshop_id}/poster?size=a5&table=all",
                 "/staff/workshops"):
        visit(page, path)
        assert page.locator("html").get_attribute("lang") == locale
    # A form with errors, in this language.
    visit(page, f"{listing}/new")
    page.locator("#capacity").fill("-5")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").press("Enter")
    expect(page.locator("#error-summary a[href='#capacity']")).to_be_visible()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_accessible(page)
    context.close()

    context = browser.new_context(base_url=server, locale="da-DK")
    page = context.new_page()
    log_in(page, FACILITATOR, locale, "/staff/workshops")
    context.close()
