"""A citizen registers with the keyboard only, in Danish, Swedish and English, then changes and cancels through
the manage link. No clicks: Tab, Shift+Tab, Space, arrow keys, typing and Enter. Every page passes axe-core.
"""

from __future__ import annotations

import re

import pytest
from browser_support import (
    assert_accessible,
    focus_is_visible,
    focused,
    has_horizontal_scroll,
    screenshot,
    tab_to,
    visit,
)
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

CONFERENCE = "implementeringskonference-koensligestilling-2027"

TEXT = {
    "da": {
        "switch": "Dansk",
        "registered": "Du er tilmeldt",
        "changed": "Dine ændringer er gemt.",
        "cancelled": "Din tilmelding er afmeldt.",
        "status_cancelled": "Afmeldt",
        "problem": "Der er et problem med dine svar",
        "name_error": "Skriv dit navn.",
        "email_error": "Skriv en e-mailadresse som navn@eksempel.dk.",
        "consent_error": "For at tilmelde dig skal du bekræfte, at du har læst privatlivspolitikken.",
        "error_title": "Fejl:",
    },
    "sv": {
        "switch": "Svenska",
        "registered": "Du är anmäld",
        "changed": "Dina ändringar är sparade.",
        "cancelled": "Din anmälan är avbokad.",
        "status_cancelled": "Avbokad",
        "problem": "Det finns ett problem med dina svar",
        "name_error": "Skriv ditt namn.",
        "email_error": "Skriv en e-postadress som namn@exempel.se.",
        "consent_error": "För att anmäla dig behöver du bekräfta att du har läst informationen om behandling av "
        "personuppgifter.",
        "error_title": "Fel:",
    },
    "en": {
        "switch": "English",
        "registered": "You are registered",
        "changed": "Your changes are saved.",
        "cancelled": "Your registration is cancelled.",
        "status_cancelled": "Cancelled",
        "problem": "There is a problem with your answers",
        "name_error": "Enter your name.",
        "email_error": "Enter an email address like name@example.com.",
        "consent_error": "To register, please confirm that you have read the privacy notice.",
        "error_title": "Error:",
    },
}


def press_and_wait(page: Page, key: str, url: str | re.Pattern[str]) -> None:
    """Press a key that navigates (Enter on a link or a submit button), wait for the new page, run axe."""
    with page.expect_navigation(url=url):
        page.keyboard.press(key)
    assert_accessible(page)


def choose_language_with_keyboard(page: Page, locale: str) -> None:
    visit(page, "/")
    tab_to(page, f'.lang-switch a[lang="{locale}"]')
    press_and_wait(page, "Enter", re.compile(r"/$"))
    assert page.get_attribute("html", "lang") == locale


def type_into(page: Page, selector: str, text: str) -> None:
    state = tab_to(page, selector)
    assert focus_is_visible(state), f"no visible focus on {selector}"
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def toggle(page: Page, selector: str) -> None:
    """Tab to a checkbox or radio button and press Space."""
    state = tab_to(page, selector)
    assert focus_is_visible(state), f"no visible focus on {selector}"
    before = page.is_checked(selector)
    page.keyboard.press("Space")
    assert page.is_checked(selector) != before or state["type"] == "radio"


@pytest.mark.parametrize("locale", ["da", "sv", "en"])
def test_register_change_and_cancel_with_the_keyboard_only(demo, page, locale):
    text = TEXT[locale]
    choose_language_with_keyboard(page, locale)

    # Listing -> event page -> registration form.
    tab_to(page, f'main a[href="/events/{CONFERENCE}"]')
    press_and_wait(page, "Enter", re.compile(f"/events/{CONFERENCE}$"))
    tab_to(page, f'main a[href="/events/{CONFERENCE}/register"]')
    press_and_wait(page, "Enter", re.compile(f"/events/{CONFERENCE}/register$"))
    assert page.get_attribute("html", "lang") == locale

    # The form, field by field.
    type_into(page, "#name", f"Keyboard Person {locale}")
    type_into(page, "#email", f"keyboard-{locale}@example.org")
    state = tab_to(page, 'input[name="category"]')
    assert state["type"] == "radio"
    page.keyboard.press("Space")  # the first group: citizen
    assert page.is_checked("#category-citizen")
    toggle(page, "#workshop-1")
    toggle(page, "#need-hearing_loop")
    type_into(page, "#diet", "Vegetarian")
    toggle(page, "#consent")
    state = tab_to(page, 'main form button[type="submit"]')
    assert focus_is_visible(state)
    screenshot(page, f"register-form-{locale}")
    press_and_wait(page, "Enter", re.compile(f"/events/{CONFERENCE}/registered$"))

    # Confirmation: status, ticket code, the manage link.
    assert page.locator("h1").inner_text() == text["registered"]
    assert re.fullmatch(r"[A-Z0-9-]{6,}", page.locator(".ticket-code").inner_text())
    screenshot(page, f"registered-{locale}")
    tab_to(page, 'main a[href^="/manage/"]:not([href$=".ics"])')
    press_and_wait(page, "Enter", re.compile(r"/manage/[^/]+$"))
    manage_url = page.url
    assert "Keyboard Person" in page.locator("main").inner_text()

    # Change something: a second access need and another workshop.
    tab_to(page, 'main a[href$="/change"]')
    press_and_wait(page, "Enter", re.compile(r"/manage/[^/]+/change$"))
    toggle(page, "#need-step_free")
    toggle(page, "#workshop-1")
    toggle(page, "#workshop-2")
    tab_to(page, 'main form button[type="submit"]')
    press_and_wait(page, "Enter", manage_url)
    assert text["changed"] in page.locator('[role="status"]').inner_text()
    answers = page.locator("dl.details").last.inner_text()
    assert "Vegetarian" in answers

    # Cancel.
    tab_to(page, 'main a[href$="/cancel"]')
    press_and_wait(page, "Enter", re.compile(r"/manage/[^/]+/cancel$"))
    tab_to(page, 'main form button[type="submit"]')
    press_and_wait(page, "Enter", manage_url)
    assert text["cancelled"] in page.locator('[role="status"]').inner_text()
    assert text["status_cancelled"] in page.locator("main").inner_text()
    assert page.locator('main a[href$="/cancel"]').count() == 0


@pytest.mark.parametrize("locale", ["da", "sv", "en"])
def test_error_summary_takes_the_focus_and_links_to_the_fields(demo, page, locale):
    text = TEXT[locale]
    visit(page, f"/lang/{locale}?next=/events/{CONFERENCE}/register")  # the switcher's link sets the cookie
    # Bad input: no name, a broken email, no consent.
    type_into(page, "#email", "not-an-address")
    tab_to(page, 'main form button[type="submit"]')
    press_and_wait(page, "Enter", re.compile(r"/register"))

    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert page.evaluate("() => document.activeElement.id") == "error-summary", "the summary must take the focus"
    assert page.title().startswith(text["error_title"])
    assert text["problem"] in summary.inner_text()
    assert text["name_error"] in summary.inner_text()
    assert text["email_error"] in summary.inner_text()
    assert text["consent_error"] in summary.inner_text()
    # Input is kept, fields say what is wrong and are marked invalid.
    assert page.input_value("#email") == "not-an-address"
    assert page.get_attribute("#email", "aria-invalid") == "true"
    assert "email-error" in (page.get_attribute("#email", "aria-describedby") or "")
    assert page.locator("#email-error").inner_text().endswith(text["email_error"])
    screenshot(page, f"register-errors-{locale}")

    # The summary's first link moves the focus to the field it names.
    state = tab_to(page, '.error-summary a[href="#name"]')
    assert focus_is_visible(state)
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "name"

    # Fixing the answers registers.
    page.keyboard.type("Corrected Person")
    type_into(page, "#email", f"corrected-{locale}@example.org")
    state = tab_to(page, 'input[name="category"]')
    page.keyboard.press("Space")
    toggle(page, "#consent")
    tab_to(page, 'main form button[type="submit"]')
    press_and_wait(page, "Enter", re.compile(r"/registered$"))
    assert page.locator("h1").inner_text() == text["registered"]


def test_every_form_control_shows_a_visible_focus(demo, page):
    visit(page, f"/events/{CONFERENCE}/register?lang=da")
    seen: set[str] = set()
    for _ in range(80):
        page.keyboard.press("Tab")
        state = focused(page)
        if state["tag"] == "body":
            break
        assert focus_is_visible(state), f"focus is not visible on {state}"
        seen.add(state["type"] or state["tag"])
    assert {"text", "email", "radio", "checkbox", "submit"} <= seen


@pytest.mark.parametrize("locale", ["da", "sv", "en"])
def test_event_page_and_form_fit_a_320_px_screen(demo, page, locale):
    page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/", f"/events/{CONFERENCE}", f"/events/{CONFERENCE}/register"):
        visit(page, f"{path}?lang={locale}")
        assert not has_horizontal_scroll(page), f"{path} scrolls sideways at 320 px in {locale}"
    screenshot(page, f"register-320-{locale}")


TEXT_SPACING = """
* { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; }
p { margin-bottom: 2em !important; }
"""


def test_text_spacing_keeps_the_form_readable_at_320_px(demo, browser, server):
    """WCAG 1.4.12: with the bookmarklet spacing (line 1.5, letters 0.12em, words 0.16em, paragraphs 2em) and
    a 320 px screen nothing scrolls sideways and no label or button is cut off."""
    context = browser.new_context(base_url=server, viewport={"width": 320, "height": 640}, bypass_csp=True)
    try:
        page = context.new_page()
        for locale in ("da", "sv"):
            visit(page, f"/events/{CONFERENCE}/register?lang={locale}")
            page.add_style_tag(content=TEXT_SPACING)
            assert not has_horizontal_scroll(page), f"the form scrolls sideways with text spacing in {locale}"
            clipped = page.evaluate(
                """() => [...document.querySelectorAll('main label, main legend, main button, main .hint, main h1')]
                    .filter(el => !el.closest('.visually-hidden, .honeypot'))
                    .filter(el => el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)
                    .filter(el => getComputedStyle(el).overflow !== 'visible')
                    .map(el => el.outerHTML.slice(0, 120))"""
            )
            assert not clipped, f"cut-off text with text spacing in {locale}: {clipped}"
        screenshot(page, "register-text-spacing-sv")
    finally:
        context.close()
