"""Public event pages in a real browser on the demo data: the listing, every event page, filters, the drop-in
café's reminder, and a person's own data page, in Danish, Swedish and English, with axe-core on every page.
"""

from __future__ import annotations

import re

import pytest
from browser_support import LOCALES, assert_accessible, focus_is_visible, screenshot, tab_to, visit
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

CONFERENCE = "implementeringskonference-koensligestilling-2027"
CAFE = "mogai-hbtq-kafe"

LISTING_TITLE = {"da": "Kommende arrangementer", "sv": "Kommande evenemang", "en": "Upcoming events"}
REGISTER = {"da": "Tilmeld dig", "sv": "Anmäl dig", "en": "Register"}
WHEN_AND_WHERE = {"da": "Hvornår og hvor", "sv": "När och var", "en": "When and where"}
THANK_YOU = {"da": "Tak", "sv": "Tack", "en": "Thank you"}
WEEKDAYS = {
    "da": ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"),
    "sv": ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def press_and_wait(page: Page, key: str, url: str | re.Pattern[str]) -> None:
    with page.expect_navigation(url=url):
        page.keyboard.press(key)
    assert_accessible(page)


def event_links(page: Page) -> list[str]:
    hrefs = page.eval_on_selector_all("main a[href^='/events/']", "links => links.map(a => a.getAttribute('href'))")
    return sorted({href for href in hrefs if re.fullmatch(r"/events/[^/?#]+", href)})


@pytest.mark.parametrize("locale", LOCALES)
def test_listing_and_event_pages_in_each_language(demo, page, locale):
    visit(page, f"/?lang={locale}")
    assert page.locator("h1").inner_text() == LISTING_TITLE[locale]
    links = event_links(page)
    assert f"/events/{CONFERENCE}" in links and f"/events/{CAFE}" in links
    screenshot(page, f"listing-{locale}")
    for href in (f"/events/{CONFERENCE}", f"/events/{CAFE}"):
        visit(page, f"{href}?lang={locale}")
        assert page.get_attribute("html", "lang") == locale
        main = page.locator("main").inner_text()
        assert WHEN_AND_WHERE[locale] in main
        # Dates are written in the page's language, times on the 24-hour clock.
        assert any(day in main for day in WEEKDAYS[locale]), f"no {locale} weekday on {href}"
        assert re.search(r"\b([01]\d|2[0-3]):[0-5]\d\b", main)
        assert not re.search(r"\b\d{1,2}:\d{2}\s?(AM|PM|am|pm)\b", main)
    screenshot(page, f"event-cafe-{locale}")


def test_every_event_of_the_demo_passes_axe(demo, page):
    visit(page, "/?lang=en")
    links = event_links(page)
    while page.locator("a[rel='next']").count():
        with page.expect_navigation():
            page.locator("a[rel='next']").first.press("Enter")
        assert_accessible(page)
        links += event_links(page)
    assert len(links) >= 5
    for href in sorted(set(links)):
        visit(page, href)
        register = page.locator(f"main a[href='{href}/register']")
        if register.count():
            visit(page, f"{href}/register")


def test_filters_work_with_the_keyboard(demo, page):
    visit(page, "/lang/sv?next=/")
    state = tab_to(page, "select#kind, select[name='kind']")
    assert focus_is_visible(state)
    # Choose "Café" with the arrow keys, then submit the filter form with Enter on its button.
    options = page.eval_on_selector_all("select[name='kind'] option", "o => o.map(x => x.value)")
    for _ in range(options.index("cafe")):
        page.keyboard.press("ArrowDown")
    assert page.input_value("select[name='kind']") == "cafe"
    tab_to(page, "form.filters button[type='submit'], .filters button[type='submit']")
    press_and_wait(page, "Enter", re.compile(r"kind=cafe"))
    links = event_links(page)
    assert links == [f"/events/{CAFE}"]
    assert page.input_value("select[name='kind']") == "cafe"  # the choice is kept


@pytest.mark.parametrize("locale", LOCALES)
def test_cafe_reminder_with_the_keyboard(demo, page, locale):
    """Drop-in: no registration needed, but a reminder for one date; the page stays discreet."""
    visit(page, f"/lang/{locale}?next=/events/{CAFE}")
    tab_to(page, f"main a[href='/events/{CAFE}/register']")
    press_and_wait(page, "Enter", re.compile(f"/events/{CAFE}/register$"))
    tab_to(page, "input[name='occurrence_id']")
    page.keyboard.press("Space")
    assert page.locator("input[name='occurrence_id']:checked").count() == 1
    tab_to(page, "#name")
    page.keyboard.type(f"Café Guest {locale}")
    tab_to(page, "#email")
    page.keyboard.type(f"cafe-{locale}@example.org")
    tab_to(page, "#consent")
    page.keyboard.press("Space")
    tab_to(page, "main form button[type='submit']")
    press_and_wait(page, "Enter", re.compile(f"/events/{CAFE}/registered$"))
    # The café is a sensitive event: the page is the same whether or not the address was known, and the
    # manage link and ticket go by email only.
    assert page.locator("h1").inner_text() == THANK_YOU[locale]
    assert page.locator("main a[href^='/manage/']").count() == 0
    assert page.locator(".ticket-code").count() == 0


def test_own_data_page_and_delete_with_the_keyboard(demo, page):
    visit(page, f"/lang/da?next=/events/{CONFERENCE}/register")
    tab_to(page, "#name")
    page.keyboard.type("Data Person")
    tab_to(page, "#email")
    page.keyboard.type("data-person@example.org")
    tab_to(page, "input[name='category']")
    page.keyboard.press("Space")
    tab_to(page, "#consent")
    page.keyboard.press("Space")
    tab_to(page, "main form button[type='submit']")
    press_and_wait(page, "Enter", re.compile(r"/registered$"))
    tab_to(page, 'main a[href^="/manage/"]:not([href$=".ics"])')
    press_and_wait(page, "Enter", re.compile(r"/manage/[^/]+$"))
    tab_to(page, 'main a[href$="/data"]')
    press_and_wait(page, "Enter", re.compile(r"/manage/[^/]+/data$"))
    main = page.locator("main").inner_text()
    assert "Data Person" in main and "data-person@example.org" in main
    screenshot(page, "manage-data-da")
    tab_to(page, 'main a[href$="/delete"]')
    press_and_wait(page, "Enter", re.compile(r"/manage/[^/]+/delete$"))
    tab_to(page, "main form button[type='submit']")
    press_and_wait(page, "Enter", re.compile(r"/manage/deleted$"))
    assert page.locator("h1").inner_text() == "Dine oplysninger er slettet"
