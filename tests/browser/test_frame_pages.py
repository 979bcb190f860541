"""The page frame in a real browser: every frame page in Danish, Swedish and English passes axe-core; the skip
link, the language switcher and the footer work with the keyboard; the focus is visible; 320 px needs no
horizontal scrolling.
"""

from __future__ import annotations

import re

import pytest
from browser_support import (
    LOCALES,
    assert_accessible,
    focus_is_visible,
    focused,
    has_horizontal_scroll,
    screenshot,
    tab_to,
    visit,
)

pytestmark = pytest.mark.browser

TITLES = {
    "/privacy": {"da": "Privatlivspolitik", "sv": "Behandling av personuppgifter", "en": "Privacy notice"},
    "/privacy/record": {
        "da": "Fortegnelse over behandlingsaktiviteter",
        "sv": "Register över behandlingar",
        "en": "Record of processing activities",
    },
    "/accessibility": {
        "da": "Tilgængelighedserklæring",
        "sv": "Tillgänglighetsredogörelse",
        "en": "Accessibility statement",
    },
}
NOT_FOUND = {"da": "Siden blev ikke fundet", "sv": "Sidan hittades inte", "en": "Page not found"}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("path", ["/privacy", "/privacy/record", "/accessibility"])
def test_footer_pages_in_each_language(page, path, locale):
    visit(page, f"{path}?lang={locale}")
    assert page.get_attribute("html", "lang") == locale
    assert page.locator("h1").inner_text() == TITLES[path][locale]
    assert page.title().startswith(TITLES[path][locale])


@pytest.mark.parametrize("locale", LOCALES)
def test_event_listing_frame_in_each_language(page, locale):
    visit(page, f"/?lang={locale}")
    assert page.get_attribute("html", "lang") == locale
    assert page.locator("main h1").count() == 1


@pytest.mark.parametrize("locale", LOCALES)
def test_not_found_page_in_each_language(page, locale):
    visit(page, f"/no/such/page?lang={locale}", status=404)
    assert page.get_attribute("html", "lang") == locale
    assert page.locator("h1").inner_text() == NOT_FOUND[locale]
    assert page.locator('main a[href="/"]').count() == 1  # the way back to the events


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page):
    visit(page, "/privacy?lang=en")
    page.keyboard.press("Tab")
    state = focused(page)
    assert state["href"] == "#main"
    assert state["text"] == "Skip to main content"
    assert focus_is_visible(state)
    assert page.locator(".skip-link").bounding_box()["y"] >= 0  # on screen while focused
    screenshot(page, "frame-skip-link-focused", full_page=False)
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    inside_main = page.evaluate("() => document.getElementById('main').contains(document.activeElement)")
    footer = page.evaluate("() => document.activeElement.closest('footer') !== null")
    assert inside_main or footer


def test_language_switcher_works_with_the_keyboard(page):
    visit(page, "/privacy?lang=en")
    state = tab_to(page, '.lang-switch a[lang="sv"]')
    assert focus_is_visible(state)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/privacy$"))
    assert_accessible(page)
    assert page.get_attribute("html", "lang") == "sv"
    assert page.locator("h1").inner_text() == TITLES["/privacy"]["sv"]
    # The choice is remembered: the next page without ?lang= is Swedish too.
    visit(page, "/accessibility")
    assert page.locator("h1").inner_text() == TITLES["/accessibility"]["sv"]


def test_every_link_and_button_of_the_frame_shows_its_focus(page):
    visit(page, "/accessibility?lang=da")
    seen = 0
    for _ in range(40):
        page.keyboard.press("Tab")
        state = focused(page)
        if state["tag"] == "body":
            break
        assert focus_is_visible(state), f"focus is not visible on {state}"
        seen += 1
    assert seen >= 8  # skip link, brand, three languages, main nav, mail link, footer links


def test_footer_links_to_the_statement_and_the_privacy_notice(page):
    visit(page, "/lang/sv?next=/")  # the switcher's link: remembered in a cookie
    footer = page.locator("footer")
    footer.get_by_role("link", name="Tillgänglighetsredogörelse").click()
    assert_accessible(page)
    assert page.url.endswith("/accessibility")
    page.locator("footer").get_by_role("link", name="Behandling av personuppgifter").click()
    assert_accessible(page)
    assert page.url.endswith("/privacy")


@pytest.mark.parametrize("path", ["/", "/privacy", "/privacy/record", "/accessibility", "/no/such/page"])
def test_frame_pages_reflow_at_320_px(page, path):
    page.set_viewport_size({"width": 320, "height": 640})
    visit(page, f"{path}?lang=da", status=404 if path.startswith("/no/") else 200)
    assert not has_horizontal_scroll(page), f"{path} scrolls sideways at 320 px"
    name = path.strip("/").replace("/", "-") or "home"
    screenshot(page, f"frame-320-{name}")


def test_the_axe_check_itself_catches_violations(page):
    """The layer is only worth something if it fails: break a page on purpose and expect a readable report."""
    visit(page, "/privacy?lang=en")
    page.evaluate(
        """() => {
            const main = document.getElementById('main');
            main.insertAdjacentHTML('beforeend',
                '<img src="/static/img/logo.svg"><input type="text">');
        }"""
    )
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page)
    report = str(failure.value)
    for rule in ("image-alt", "label"):
        assert f"- {rule} (" in report, report
    assert "at " in report and "<img" in report


@pytest.mark.parametrize("locale", LOCALES)
def test_api_reference_page_in_each_language(page, locale):
    """The API's documentation is a page of the site like the others: no scripts, one heading, axe-clean."""
    visit(page, f"/schema?lang={locale}")
    assert page.get_attribute("html", "lang") == locale
    assert page.locator("main h1").count() == 1
    assert page.locator("section.card").count() >= 20, "every operation has its own section"
