"""Staff in a real browser: log in with the keyboard, check people in at the door by ticket code and by name,
count drop-in visitors, and the organiser's pages, all through axe-core.
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
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

CONFERENCE = "implementeringskonference-koensligestilling-2027"
CAFE = "mogai-hbtq-kafe"

TEXT = {
    "da": {"welcome": "Velkommen: tjekket ind", "already": "Allerede tjekket ind", "not": "Ikke tjekket ind"},
    "en": {"welcome": "Welcome: checked in", "already": "Already checked in", "not": "Not checked in"},
}


@pytest.fixture(autouse=True)
def door_on_every_team(demo, staff, run_async) -> None:
    """Check-in staff work at the events whose team they are on: here, every event of the demo."""
    from events.access import add_to_team
    from events.tables import Event
    from samrad.core.tables import StaffUser

    async def join() -> None:
        user = await StaffUser.select(StaffUser.id).where(StaffUser.email == staff["checkin"]["email"]).first()
        for row in await Event.select(Event.id):
            await add_to_team(row["id"], user["id"])

    run_async(join)


def press_and_wait(page: Page, key: str, url: str | re.Pattern[str]) -> None:
    with page.expect_navigation(url=url):
        page.keyboard.press(key)
    assert_accessible(page)


def log_in(page: Page, account: dict[str, str], locale: str, next_path: str) -> None:
    """The login form with the keyboard only: Tab to each field, type, Enter."""
    visit(page, f"/lang/{locale}?next=/staff/login?next={next_path}")
    state = tab_to(page, "#email")
    assert focus_is_visible(state)
    page.keyboard.type(account["email"])
    tab_to(page, "#password")
    page.keyboard.type(account["password"])
    press_and_wait(page, "Enter", re.compile(re.escape(next_path) + "$"))


def event_ids(run_async) -> dict[str, int]:
    from events.tables import Event

    async def query() -> dict[str, int]:
        rows = await Event.select(Event.id, Event.slug).where(Event.slug.is_in([CONFERENCE, CAFE]))
        return {row["slug"]: row["id"] for row in rows}

    return run_async(query)


def conference_ticket(run_async) -> dict[str, str]:
    """A confirmed demo registration for the conference, not checked in yet."""
    from events.tables import Registration

    async def query() -> dict[str, str]:
        return (
            await Registration.select(Registration.ticket_code, Registration.name)
            .where(
                (Registration.event.slug == CONFERENCE)
                & (Registration.status == "confirmed")
                & Registration.checked_in_at.is_null()
            )
            .order_by(Registration.id)
            .first()
        )

    return run_async(query)


@pytest.mark.parametrize("locale", ["da", "en"])
def test_check_in_by_ticket_code_with_the_keyboard(demo, staff, run_async, page, locale):
    text = TEXT[locale]
    ticket = conference_ticket(run_async)
    ids = event_ids(run_async)
    log_in(page, staff["checkin"], locale, "/staff/checkin")
    tab_to(page, f"main a[href='/staff/checkin/{ids[CONFERENCE]}']")
    press_and_wait(page, "Enter", re.compile(rf"/staff/checkin/{ids[CONFERENCE]}$"))

    # The code field has the focus when the page opens: scan or type, then Enter. The page's script answers
    # in place (from the ticket list it keeps, then the server) and keeps the focus in the field.
    assert focused(page)["id"] == "code"
    before = int(re.match(r"\d+", page.locator(".check-count").inner_text()).group())
    expect(page.locator("[data-checkin-queue]")).not_to_be_empty()
    page.keyboard.type(ticket["ticket_code"].lower())  # small letters are fine
    page.keyboard.press("Enter")
    result = page.locator("[data-checkin-live]")
    expect(result.locator("h3")).to_have_text(text["welcome"])
    assert ticket["name"] in result.inner_text()
    assert focused(page)["id"] == "code"
    assert_accessible(page)
    screenshot(page, f"checkin-welcome-{locale}")

    # The same ticket again: it is already used.
    page.keyboard.type(ticket["ticket_code"])
    page.keyboard.press("Enter")
    expect(result.locator("h3")).to_have_text(text["already"])

    # A code that does not exist.
    page.keyboard.type("NOSUCHCODE")
    page.keyboard.press("Enter")
    expect(result.locator("h3")).to_have_text(text["not"])
    assert_accessible(page)

    # The server has it: after a reload the count says so.
    page.reload()
    assert int(re.match(r"\d+", page.locator(".check-count").inner_text()).group()) == before + 1


def test_check_in_by_name(demo, staff, run_async, page):
    ids = event_ids(run_async)
    log_in(page, staff["checkin"], "en", f"/staff/checkin/{ids[CONFERENCE]}")
    person = conference_ticket(run_async)
    tab_to(page, "#q")
    page.keyboard.type(person["name"])
    press_and_wait(page, "Enter", re.compile(r"\?q="))
    rows = page.locator("tbody tr", has=page.locator(f"th:text-is('{person['name']}')"))
    assert rows.count() >= 1
    state = tab_to(page, "tbody tr button[type='submit']")
    assert focus_is_visible(state)
    name = page.evaluate("() => document.activeElement.closest('tr').querySelector('th').innerText")
    assert name == person["name"]
    press_and_wait(page, "Enter", re.compile(rf"/staff/checkin/{ids[CONFERENCE]}"))
    assert person["name"] in page.locator(".checkin-result").inner_text()
    assert page.locator(".checkin-result h3").inner_text() == TEXT["en"]["welcome"]


def test_drop_in_headcount_with_the_keyboard(demo, staff, run_async, page):
    ids = event_ids(run_async)
    log_in(page, staff["checkin"], "da", f"/staff/checkin/{ids[CAFE]}")
    # A sensitive café: no names on the check-in page.
    assert page.locator("#q").count() == 0
    tab_to(page, "main .date-list a")
    press_and_wait(page, "Enter", re.compile(r"/staff/checkin/dates/\d+$"))
    number = page.locator(".headcount-number")
    start = int(number.inner_text())
    for expected in (start + 1, start + 2):
        state = tab_to(page, "main form[action$='/add'] button.big")
        assert focus_is_visible(state)
        press_and_wait(page, "Enter", re.compile(r"/staff/checkin/dates/\d+"))
        assert int(number.inner_text()) == expected
    tab_to(page, "main form[action$='/add'] button.secondary")
    press_and_wait(page, "Enter", re.compile(r"/staff/checkin/dates/\d+"))
    assert int(number.inner_text()) == start + 1
    tab_to(page, "#count")
    page.keyboard.type("12")
    press_and_wait(page, "Enter", re.compile(r"/staff/checkin/dates/\d+"))
    assert int(number.inner_text()) == 12
    screenshot(page, "headcount-da")
    # The door works on a phone too.
    page.set_viewport_size({"width": 320, "height": 640})
    assert not has_horizontal_scroll(page)
    assert_accessible(page)


def test_staff_pages_pass_axe(demo, staff, run_async, page):
    ids = event_ids(run_async)
    log_in(page, staff["admin"], "en", "/staff")
    screenshot(page, "staff-dashboard-en")
    visit(page, "/staff/events")
    event = ids[CONFERENCE]
    for path in (
        f"/staff/events/{event}/settings",
        f"/staff/events/{event}/registrations",
        f"/staff/events/{event}/needs",
        "/staff/checkin",
        f"/staff/checkin/{event}",
        f"/staff/checkin/{ids[CAFE]}",
    ):
        visit(page, path)
    screenshot(page, "staff-checkin-cafe-en")
    # Logging out with the keyboard.
    tab_to(page, "form.staff-logout button[type='submit']")
    press_and_wait(page, "Enter", re.compile(r"/staff/login\?logged_out=1$"))


def test_failed_login_is_announced_and_the_summary_takes_the_focus(staff, page):
    visit(page, "/lang/en?next=/staff/login")
    tab_to(page, "#email")
    page.keyboard.type(staff["checkin"]["email"])
    tab_to(page, "#password")
    page.keyboard.type("wrong password")
    press_and_wait(page, "Enter", re.compile(r"/staff/login"))
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    assert "not right" in page.locator(".error-summary").inner_text()
    assert page.input_value("#password") == ""


def cafe_dates(run_async) -> list[int]:
    """The café's upcoming dates that go ahead, earliest first."""
    from events.tables import Occurrence

    async def query() -> list[int]:
        rows = (
            await Occurrence.select(Occurrence.id)
            .where((Occurrence.event.slug == CAFE) & Occurrence.cancelled.eq(False))
            .order_by(Occurrence.starts_at)
        )
        return [row["id"] for row in rows]

    return run_async(query)


def test_event_management_pages_pass_axe(demo, staff, run_async, page):
    ids = event_ids(run_async)
    date = cafe_dates(run_async)[-1]
    log_in(page, staff["admin"], "sv", "/staff")
    for path in (
        "/staff/events/new",
        f"/staff/events/{ids[CONFERENCE]}/edit",
        f"/staff/events/{ids[CAFE]}/edit",
        f"/staff/events/{ids[CAFE]}/dates",
        f"/staff/dates/{date}/cancel",
        f"/staff/events/{ids[CONFERENCE]}/cancel",
    ):
        visit(page, path)
    # The new-event form, sent empty: the summary takes the focus and links to the fields.
    visit(page, "/staff/events/new")
    tab_to(page, "main form button[type='submit']")
    press_and_wait(page, "Enter", re.compile(r"/staff/events/new"))
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    first_link = page.locator(".error-summary a").first
    target = first_link.get_attribute("href")
    tab_to(page, ".error-summary a")
    page.keyboard.press("Enter")
    assert "#" + page.evaluate("() => document.activeElement.id") == target
    screenshot(page, "staff-new-event-errors-sv")


def test_a_cancelled_cafe_date_is_announced_in_each_language(demo, staff, run_async, page):
    """Staff cancel one café date with the keyboard; the public page marks it as cancelled in the visitor's
    language ('Aflyst', 'Inställt', 'Cancelled': the event sense of the word, not a cancelled registration)."""
    ids = event_ids(run_async)
    date = cafe_dates(run_async)[0]
    log_in(page, staff["admin"], "da", f"/staff/events/{ids[CAFE]}/dates")
    tab_to(page, f"main a[href='/staff/dates/{date}/cancel']")
    press_and_wait(page, "Enter", re.compile(rf"/staff/dates/{date}/cancel$"))
    tab_to(page, "#confirm")
    page.keyboard.press("Space")
    tab_to(page, "main form button[type='submit']")
    press_and_wait(page, "Enter", re.compile(rf"/staff/events/{ids[CAFE]}/dates"))
    assert "Aflyst" in page.locator("main table").inner_text()
    for locale, word in (("da", "Aflyst"), ("sv", "Inställt"), ("en", "Cancelled")):
        visit(page, f"/events/{CAFE}?lang={locale}")
        badges = page.locator("main .badge.bad").all_inner_texts()
        assert word in badges, f"{locale}: {badges}"
