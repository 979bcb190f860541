"""An organiser follows input up in a real browser: filters by a theme, downloads the CSV and the workbook of
exactly that view, links two items to a new action, changes its status, and the public "you said, we did" page
shows it. Every follow-up page passes axe in Danish, Swedish and English, and the reports print without tables
cut off at the page edge."""

from __future__ import annotations

import csv
import io
import re

import pytest
from browser_support import LOCALES, assert_accessible, visit
from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def log_in(page: Page, account: dict[str, str]) -> None:
    visit(page, "/staff/login?next=/staff")
    page.fill("#email", account["email"])
    page.fill("#password", account["password"])
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.fixture
def world(demo, staff, run_async) -> dict:
    from events.tables import Event
    from feedback.tables import Evaluation, EvaluationInvitation, FollowUpInput, Theme

    async def read() -> dict:
        link = await FollowUpInput.select(FollowUpInput.input_item.event.slug.as_alias("slug"),
                                          FollowUpInput.input_item.event.as_alias("event")).first()
        theme = await Theme.select(Theme.id).where(Theme.code == "R3").first()
        evaluation = await Evaluation.select(Evaluation.id, Evaluation.event).first()
        invitation = await EvaluationInvitation.select(EvaluationInvitation.invitation_key).where(
            EvaluationInvitation.evaluation == evaluation["id"]).order_by(EvaluationInvitation.id,
                                                                          ascending=False).first()
        training = await Event.select(Event.starts_at).where(Event.id == evaluation["event"]).first()
        return {"slug": link["slug"], "event": link["event"], "theme": theme["id"],
                "evaluated_event": evaluation["event"], "invitation": invitation["invitation_key"],
                "year": training["starts_at"].year}

    return run_async(read)


def test_an_organiser_filters_exports_links_and_the_public_page_shows_it(page: Page, staff, world, tmp_path):
    from openpyxl import load_workbook

    log_in(page, staff["admin"])
    visit(page, f"/staff/input?lang=en&event={world['event']}")
    page.select_option("#theme", str(world["theme"]))
    with page.expect_navigation():
        page.click("form.fu-filters button[type=submit]")
    assert_accessible(page)
    assert f"theme={world['theme']}" in page.url
    shown = [int(value) for value in page.eval_on_selector_all(
        "table.fu-items input[name=item]", "boxes => boxes.map(b => b.value)")]
    assert len(shown) >= 2

    with page.expect_download() as download:
        page.click("text=CSV (semicolon, for Excel)")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name.endswith(".csv") and "_r3_" in path.name and f"_event{world['event']}_" in path.name
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig")), delimiter=";"))
    assert {int(row[0]) for row in rows[1:]} == set(shown)

    with page.expect_download() as download:
        page.click("text=Excel workbook (a sheet per theme)")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    workbook = load_workbook(path, read_only=True)
    assert workbook.sheetnames[0] == "Summary"
    in_sheets = {row[0] for name in workbook.sheetnames[1:]
                 for row in workbook[name].iter_rows(min_row=2, values_only=True)}
    assert in_sheets == set(shown)

    visit(page, "/staff/actions/new?lang=en")
    page.fill("#title_en", "Lights on the river path")
    page.fill("#title_da", "Lys på stien langs åen")
    page.select_option("#theme", str(world["theme"]))
    with page.expect_navigation():
        page.click("form button[type=submit]:has-text('Create the action')")
    assert_accessible(page)
    action_id = re.search(r"/staff/actions/(\d+)", page.url).group(1)

    visit(page, f"/staff/input?theme={world['theme']}&event={world['event']}&lang=en")
    page.check(f"#item-{shown[0]}")
    page.check(f"#item-{shown[1]}")
    page.select_option("#operation", "link")
    page.select_option("#bulk-action", action_id)
    with page.expect_navigation():
        page.click("text=Apply to the chosen items")
    assert "2 items linked to the action." in page.content()

    visit(page, f"/staff/actions/{action_id}?lang=en")
    page.select_option("#status", "in_progress")
    page.fill("#progress", "40")
    page.fill("#note_en", "The first lamps are up.")
    with page.expect_navigation():
        page.click("text=Save the status")
    assert_accessible(page)
    page.click("text=Quote on the public page >> nth=0")
    page.wait_for_load_state("load")

    visit(page, f"/events/{world['slug']}/follow-up?lang=en")
    content = page.content()
    assert "Lights on the river path" in content and "The first lamps are up." in content
    assert "In progress" in content and page.locator("blockquote.fu-quote").count() >= 1


@pytest.mark.parametrize("locale", LOCALES)
def test_every_follow_up_page_passes_axe(page: Page, staff, world, locale):
    from feedback.follow_up.evaluations import invitation_token

    log_in(page, staff["admin"])
    for path in (
        "/staff/input", f"/staff/input?theme={world['theme']}&status=published&status=held",
        "/staff/input/report", "/staff/actions", "/staff/actions/new", "/staff/reports",
        f"/staff/reports/events/{world['evaluated_event']}", f"/staff/reports/coverage?year={world['year']}",
        "/staff/reports/policy", f"/staff/events/{world['evaluated_event']}/evaluation",
        f"/events/{world['slug']}/follow-up", f"/follow-up/themes/{world['theme']}",
        f"/evaluation/{invitation_token(world['invitation'])}",
    ):
        visit(page, f"{path}{'&' if '?' in path else '?'}lang={locale}")
    first_action = page.goto(f"/staff/actions?lang={locale}")
    assert first_action is not None
    page.click("table a >> nth=0")
    page.wait_for_load_state("load")
    assert_accessible(page)
    visit(page, f"/follow-up/unsubscribe/{'0' * 64}?lang={locale}", status=404)


@pytest.mark.parametrize("path", ["/staff/input/report", "/staff/reports/events/{event}",
                                  "/staff/reports/coverage?year={year}", "/staff/reports/policy"])
def test_reports_print_without_cut_off_tables(page: Page, staff, world, path):
    log_in(page, staff["admin"])
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    visit(page, path.format(event=world["evaluated_event"], year=world["year"]) + ("&" if "?" in path else "?")
          + "lang=da")
    page.emulate_media(media="print")
    overflow = page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        return Array.from(document.querySelectorAll('table')).filter(table => {
            const box = table.getBoundingClientRect();
            const wrap = table.closest('.table-wrap');
            return box.right > width + 1 || (wrap && wrap.scrollWidth > wrap.clientWidth + 1);
        }).map(table => (table.querySelector('caption') || table).textContent.trim().slice(0, 60));
    }""")
    assert overflow == [], f"tables cut off in print: {overflow}"
    hidden = page.evaluate("() => getComputedStyle(document.querySelector('.staff-nav')).display")
    assert hidden == "none"
