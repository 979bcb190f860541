"""Policy themes in a real browser, in Danish, Swedish and English: an organiser builds a small theme tree with
the keyboard only (a policy, a theme, a sub-theme, one moved up), sets the event's themes, and imports a CSV of
paper notes into a workshop (preview, then save); a facilitator accepts a suggested theme while capturing, with
the keyboard, and the tag records the suggestion; on an item's moderation page another suggestion (with its
confidence) is accepted the same way. axe-core runs on every page visited."""

from __future__ import annotations

import re

import pytest
from browser_support import assert_accessible, focus_is_visible, tab_to, visit
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

CONFERENCE = "implementeringskonference-koensligestilling-2027"
ORGANISER = {"email": "themes@browser.test", "password": "themes-password-for-browser-tests",
             "name": "Tove Themes"}
# How a suggested theme's confidence ends, in each language (feedback.themes.confidence).
CONFIDENCE = {"da": "sikkerhed)", "sv": "säkerhet)", "en": "confidence)"}
DARK_PATHS = {"da": "Mørke stier og utryghed om natten ved stationen",
              "sv": "Mörka gångvägar och otrygghet på natten vid stationen",
              "en": "Dark paths and feeling unsafe at night by the station"}
FACILITATOR = {"email": "suggest@browser.test", "password": "suggest-password-for-browser-tests",
               "name": "Sune Suggest"}


@pytest.fixture
def setup(demo, run_async) -> dict[str, int]:
    from events.access import add_to_team
    from events.tables import Event
    from samrad.core import db
    from samrad.core.accounts import create_staff_user
    from samrad.core.tables import StaffUser
    from workshops.tables import Workshop

    async def prepare() -> dict[str, int]:
        event = await Event.select(Event.id).where(Event.slug == CONFERENCE).first()
        if not await StaffUser.exists().where(StaffUser.email == ORGANISER["email"]):
            await create_staff_user(ORGANISER["email"], ORGANISER["name"], ORGANISER["password"], "organiser")
        user = await StaffUser.select(StaffUser.id).where(StaffUser.email == ORGANISER["email"]).first()
        async with db.atomic():
            await add_to_team(event["id"], user["id"])
        workshop = await Workshop.select(Workshop.id).where(Workshop.event == event["id"]).first()
        return {"event": event["id"], "workshop": workshop["id"]}

    return run_async(prepare)


def press_and_wait(page: Page, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)
    assert_accessible(page)


def type_into(page: Page, selector: str, text: str) -> None:
    assert focus_is_visible(tab_to(page, selector))
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def log_in(page: Page, locale: str, next_path: str, account: dict[str, str] = ORGANISER) -> None:
    visit(page, f"/lang/{locale}?next=/staff/login?next={next_path}")
    type_into(page, "#email", account["email"])
    type_into(page, "#password", account["password"])
    press_and_wait(page, "Enter")


@pytest.mark.parametrize("locale", ["da", "sv", "en"])
def test_an_organiser_builds_a_tree_with_the_keyboard_and_imports_notes(setup, context, page, locale, tmp_path):
    log_in(page, locale, "/staff/themes")
    assert page.url.endswith("/staff/themes")
    assert_accessible(page)

    code = f"keyboard-{locale}"
    type_into(page, "#code", code)
    type_into(page, "#name_en", f"Keyboard policy {locale}")
    press_and_wait(page, "Enter")
    assert re.search(r"/staff/themes/policies/\d+$", page.url)
    policy_page = page.url

    type_into(page, "#code", "K1")
    type_into(page, "#name_en", "Workplace")
    press_and_wait(page, "Enter")
    type_into(page, "#code", "K2")
    type_into(page, "#name_en", "Services")
    press_and_wait(page, "Enter")
    tab_to(page, "#parent")
    page.keyboard.press("ArrowDown")  # the first theme, K1
    type_into(page, "#code", "K1.1")
    type_into(page, "#name_en", "Pay")
    type_into(page, "#keywords_en", "pay; salary")
    press_and_wait(page, "Enter")
    rows = page.locator(".theme-tree tbody tr")
    assert [rows.nth(i).locator(".badge").first.inner_text() for i in range(3)] == ["K1", "K1.1", "K2"]

    # K2 one place up, with the keyboard: its "Up" button.
    up = page.locator("#theme-" + rows.nth(2).get_attribute("id").split("-")[1] + " button").first
    up.focus()
    press_and_wait(page, "Enter")
    rows = page.locator(".theme-tree tbody tr")
    assert rows.nth(0).locator(".badge").first.inner_text() == "K2"

    theme_link = rows.nth(0).locator("a").first
    theme_link.focus()
    press_and_wait(page, "Enter")
    assert re.search(r"/staff/themes/\d+$", page.url)

    visit(page, f"/staff/events/{setup['event']}/themes")
    assert_accessible(page)
    visit(page, f"/staff/input?event={setup['event']}")
    assert_accessible(page)
    visit(page, policy_page)

    notes = tmp_path / "notes.csv"
    notes.write_text("text,kind\nMere lys på stien,proposal\nLige løn for lige arbejde,idea\n", encoding="utf-8")
    visit(page, f"/staff/workshops/{setup['workshop']}/notes")
    assert_accessible(page)
    page.set_input_files("#notes-file", str(notes))
    tab_to(page, "form[enctype] button[type=submit]")
    press_and_wait(page, "Enter")
    assert "Mere lys på stien" in page.content()
    tab_to(page, "form[action$='/notes/save'] button[type=submit]")
    press_and_wait(page, "Enter")
    assert page.url.endswith(f"/staff/workshops/{setup['workshop']}/notes")


@pytest.fixture
def safety_workshop(demo, run_async) -> int:
    """The conference's workshop on Randers' third theme (a safe municipality), with a facilitator assigned."""
    from feedback.tables import WorkshopTheme
    from samrad.core.accounts import create_staff_user
    from samrad.core.tables import StaffUser
    from workshops.access import assignment_key
    from workshops.tables import WorkshopFacilitator

    async def prepare() -> int:
        link = await WorkshopTheme.select(WorkshopTheme.workshop).where(
            (WorkshopTheme.theme.code == "R3") & (WorkshopTheme.theme.policy.code == "randers-koensligestilling")
        ).first()
        workshop_id = link["workshop"]
        if not await StaffUser.exists().where(StaffUser.email == FACILITATOR["email"]):
            await create_staff_user(FACILITATOR["email"], FACILITATOR["name"], FACILITATOR["password"],
                                    "facilitator")
        user = await StaffUser.select(StaffUser.id).where(StaffUser.email == FACILITATOR["email"]).first()
        await WorkshopFacilitator.insert(WorkshopFacilitator(
            workshop=workshop_id, staff_user=user["id"], assignment_key=assignment_key(workshop_id, user["id"]),
        )).on_conflict(target=WorkshopFacilitator.assignment_key, action="DO NOTHING")
        return workshop_id

    return run_async(prepare)


@pytest.mark.parametrize("locale", ["da", "sv", "en"])
def test_a_facilitator_accepts_a_suggested_theme_while_capturing(safety_workshop, run_async, context, page, locale):
    from feedback.tables import InputItem, InputTag

    capture = f"/staff/workshops/{safety_workshop}/capture"
    log_in(page, locale, capture, FACILITATOR)
    assert page.url.endswith(capture)
    text = f"Bedre belysning på stien langs åen om aftenen, mange er utrygge ({locale})"
    tab_to(page, "#text")
    page.keyboard.type(text)
    chip = page.locator("[data-suggestions] input[data-suggestion]").first
    chip.wait_for(state="visible", timeout=10_000)
    assert page.locator("[data-suggestions] label").first.inner_text().endswith(CONFIDENCE[locale])
    assert_accessible(page)
    assert focus_is_visible(tab_to(page, "[data-suggestions] input[data-suggestion]"))
    page.keyboard.press("Space")
    theme_id = int(chip.get_attribute("value"))
    tab_to(page, "#text")
    page.keyboard.press("Enter")

    async def stored() -> list[dict]:
        item = await InputItem.select(InputItem.id).where(InputItem.text == text).first()
        if item is None:
            return []
        return await InputTag.select().where(InputTag.input_item == item["id"])

    for _ in range(50):
        tags = run_async(stored)
        if tags:
            break
        page.wait_for_timeout(200)
    assert [(tag["theme"], tag["chosen"], tag["suggestion_rank"]) for tag in tags] == [(theme_id, "suggestion", 1)]
    assert_accessible(page)

    # Moderation offers the same: the item's page suggests themes for its text; one is accepted with the keyboard.
    second = f"{DARK_PATHS[locale]} ({locale})"  # stored in the page's language
    tab_to(page, "#text")
    page.keyboard.type(second)
    page.keyboard.press("Enter")

    async def item_id() -> int | None:
        item = await InputItem.select(InputItem.id).where(InputItem.text == second).first()
        return item["id"] if item else None

    for _ in range(50):
        if run_async(item_id):
            break
        page.wait_for_timeout(200)
    moderation = f"/staff/input/{run_async(item_id)}"
    visit(page, moderation)
    offered = page.locator("input[name=suggested]").first
    assert page.locator("label[for^=suggested-]").first.inner_text().endswith(CONFIDENCE[locale])
    assert focus_is_visible(tab_to(page, "input[name=suggested]"))
    page.keyboard.press("Space")
    suggested_theme = int(offered.get_attribute("value").split(":")[0])
    tab_to(page, "form[action$='/retag'] button[type=submit]")
    press_and_wait(page, "Enter")
    assert page.url.endswith(moderation)

    async def moderated() -> list[dict]:
        return await InputTag.select().where(InputTag.input_item == await item_id())

    assert [(tag["theme"], tag["chosen"], tag["suggestion_rank"]) for tag in run_async(moderated)] == [
        (suggested_theme, "suggestion", 1)]
