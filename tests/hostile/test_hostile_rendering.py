"""Markup and spreadsheet formulas stored in every text a person can type, then read back where they show: the
pages named below (and, last, every page), the live wall's event stream, the emails (their HTML part) and the
exports. Markup is always shown as text, never run; a formula is never a formula in a spreadsheet.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from hostile_corpus import FORMULAS, IMG, JAVASCRIPT_URL, SCRIPT
from hostile_support import markup_problems, read_every_page
from staff_support import csrf_from

from samrad.core.exports import FORMULA_STARTS
from samrad.core.settings import ROOT

# One text with every kind of markup of the corpus; shown escaped, its script tag reads like this.
MARKUP = f"{SCRIPT} {IMG} {JAVASCRIPT_URL}"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


def _wall_support() -> Any:
    """The live wall tests' streaming transport (httpx's own waits for a body an event stream never ends)."""
    if "wall_support" not in sys.modules:
        path = Path(__file__).parents[1] / "feedback" / "wall" / "wall_support.py"
        spec = importlib.util.spec_from_file_location("wall_support", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["wall_support"] = module
        spec.loader.exec_module(module)
    return sys.modules["wall_support"]


@pytest.fixture(scope="module")
async def stored(app, world, admin) -> dict[str, Any]:
    """The corpus' markup in every text of the world, and a formula in a name, an input text, a theme and a
    unit for each formula class; an email queued to someone whose name is markup."""
    from events.contracts import RegistrationInput
    from events.registration import services
    from events.tables import Event, OrgUnit, Registration, Venue
    from feedback.follow_up import evaluations
    from feedback.tables import FollowUp, InputItem, InputTag, Policy, Theme
    from samrad.areas import provided
    from samrad.core.tables import StaffUser
    from workshops.tables import Workshop, WorkshopTable

    texts = {"da": MARKUP, "sv": MARKUP, "en": MARKUP}
    venue = Venue(name=MARKUP, address=MARKUP, city=MARKUP, accessibility=texts)
    await venue.save()
    for event_id in (world["event_id"], world["ahead_event_id"], world["ended_event_id"]):
        await Event.update({Event.title: texts, Event.summary: texts, Event.description: texts,
                            Event.programme: texts, Event.venue: venue.id}).where(Event.id == event_id)
    await Workshop.update({Workshop.title: texts, Workshop.description: texts, Workshop.room: MARKUP}).where(
        Workshop.event == world["event_id"])
    await WorkshopTable.update({WorkshopTable.label: MARKUP}).where(WorkshopTable.id == world["table_id"])
    await Theme.update({Theme.name: texts, Theme.description: texts}).where(Theme.id.is_in(world["theme_ids"]))
    await Policy.update({Policy.name: texts}).where(Policy.id == world["policy_id"])
    await InputItem.update({InputItem.text: MARKUP}).where(
        InputItem.id.is_in([world["item_id"], world["held_item_id"], world["ended_item_id"]]))
    await FollowUp.update({FollowUp.title: texts, FollowUp.description: texts, FollowUp.status_reason: texts}).where(
        FollowUp.id == world["action_id"])
    await StaffUser.update({StaffUser.name: MARKUP}).where(StaffUser.id == world["admin_id"])
    await OrgUnit.update({OrgUnit.name: MARKUP}).where(OrgUnit.id == world["org_unit_id"])
    await evaluations.submit(world["evaluation_tokens"][0], {"q1": "3", "q2": MARKUP}, "en")

    seat_plan = provided()["seat_plan"]
    person = await services.register(world["ahead_event_id"], RegistrationInput(
        name=MARKUP, email="markup@example.org", category="council", locale="da", organisation=MARKUP,
        access_needs=["other"], access_other=MARKUP, diet=MARKUP, pronouns=MARKUP), seat_plan)
    await Registration.update({Registration.checked_in_at: None}).where(Registration.id == person.registration_id)
    for number, (cls, formula) in enumerate(FORMULAS.items()):
        await services.register(world["ahead_event_id"], RegistrationInput(
            name=formula, email=f"formula{number}@example.org", category="council", locale="da",
            organisation=formula, access_needs=["other"], access_other=formula, diet=formula), seat_plan)
        item = InputItem(event=world["ended_event_id"], text=formula, status="published", kind="idea",
                         source="facilitator", client_id=f"00000000-0000-4000-8000-00000000000{number}")
        await item.save()
        await InputTag(input_item=item.id, theme=world["theme_id"], tag_key=f"{item.id}:{world['theme_id']}").save()
        await Theme(policy=world["policy_id"], code=f"F{number}", name={"en": formula}, theme_key=f"formula-{cls}",
                    position=10 + number).save()
        await OrgUnit(name=formula, code=f"FORMULA-{number}", kind="department", headcount=3).save()

    # A message to the event's registrants, written in markup, through the staff form.
    page = f"/staff/events/{world['ahead_event_id']}/messages"
    response = await admin.post(page, data={"_csrf_token": csrf_from((await admin.get(page)).text),
                                            "subject_da": MARKUP, "body_da": MARKUP, "subject_en": MARKUP,
                                            "body_en": MARKUP})
    assert response.status_code < 400, response.text[:500]
    return {"markup_registration_id": person.registration_id}


PAGES = [
    # the public event page and the listing
    ("public", "/events/{slug}"), ("public", "/events/{ahead_slug}"), ("public", "/"),
    # the registration desk
    ("admin", "/staff/events/{ahead_event_id}/registrations"),
    ("admin", "/staff/events/{ahead_event_id}/registrations/{markup_registration_id}"),
    ("admin", "/staff/events/{ahead_event_id}/door-list"), ("admin", "/staff/events/{ahead_event_id}/badges"),
    ("admin", "/staff/events/{ahead_event_id}/needs"), ("admin", "/staff/checkin/{ahead_event_id}?q=markup"),
    # capture, by facilitators and by participants
    ("admin", "/staff/workshops/{workshop_id}/capture"), ("public", "/j/{join_code}"),
    # moderation
    ("admin", "/staff/workshops/{workshop_id}/queue"), ("admin", "/staff/events/{event_id}/queue"),
    ("admin", "/staff/input/{item_id}"),
    # the live wall
    ("public", "/workshops/{workshop_id}/wall"), ("public", "/events/{slug}/wall"),
    # "you said, we did"
    ("public", "/events/{ended_slug}/follow-up"), ("public", "/follow-up/themes/{theme_id}"),
    # actions and reports
    ("admin", "/staff/actions/{action_id}"), ("admin", "/staff/input"), ("admin", "/staff/input/report"),
    ("admin", "/staff/reports/events/{ended_event_id}"), ("admin", "/staff/reports/policy"),
    ("admin", "/staff/reports/coverage"),
    # the staff frame: the dashboard, people, the audit log, themes
    ("admin", "/staff"), ("admin", "/staff/people"), ("admin", "/staff/themes/policies/{policy_id}"),
]


@pytest.mark.parametrize(("who", "page"), PAGES, ids=[page for _who, page in PAGES])
async def test_each_page_shows_the_markup_as_text(who, page, world, stored, admin, public):
    path = page.format(**world, **stored)
    response = await (admin if who == "admin" else public).get(path)
    assert response.status_code == 200, (path, response.status_code)
    assert ESCAPED in response.text, f"{path} does not show the stored text"
    assert not markup_problems(path, response)


async def test_every_page_shows_the_markup_as_text(app, world, stored, admin, public):
    problems = await read_every_page(app, world, admin, public)
    assert not problems, "\n".join(problems)


async def test_the_wall_stream_carries_text_for_the_page_to_show_as_text(app, world, stored):
    """The stream's JSON holds the text exactly; the wall's script puts text in the page as text only."""
    support = _wall_support()
    for path in (f"/workshops/{world['workshop_id']}/wall", f"/events/{world['slug']}/wall"):
        async with support.wall_stream(app, path) as events:
            snapshot = await events.next()
        assert snapshot.name == "snapshot"
        assert MARKUP in [item["text"] for item in snapshot.data["items"]]
    for script in (ROOT / "static" / "js").glob("*.js"):
        source = script.read_text()
        assert not re.search(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write", source), script.name


async def test_emails_show_the_markup_as_text(settings, world, stored):
    """The confirmation to someone whose name is markup, and the organisers' message written in markup."""
    import email
    import email.policy

    from samrad.areas import mail_renderers, provided
    from samrad.core import mail

    before = set(settings.mail_dir.glob("*.eml")) if settings.mail_dir.exists() else set()
    await mail.deliver_due(settings, 500, renderers=mail_renderers(), provided=provided())
    sent = sorted(set(settings.mail_dir.glob("*.eml")) - before)
    shown = 0
    for path in sent:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        html = message.get_body(("html",))
        if html is None:
            continue
        content = html.get_content()
        assert not any(raw in content for raw in (SCRIPT, "<img src=x onerror=alert(1)>")), path.name
        assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", content, re.I), path.name
        shown += ESCAPED in content
    assert shown >= 2, "the confirmation and the message should both show the name or the text, escaped"


def _csv_cells(data: bytes) -> list[str]:
    text = data.decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=";,")
    return [cell for row in csv.reader(io.StringIO(text), dialect=dialect) for cell in row]


def _xlsx_cells(data: bytes) -> list[Any]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


EXPORTS = [
    "/staff/events/{ahead_event_id}/export/list?with_needs=1&{columns}",
    "/staff/events/{ahead_event_id}/export/needs?",
    "/staff/input/export/{format_name}?",
    "/staff/reports/coverage/export/{file_format}?",
]


@pytest.mark.parametrize("export", EXPORTS)
@pytest.mark.parametrize("file_format", ["csv-semicolon", "csv-comma", "xlsx"])
async def test_exports_never_hold_a_formula(export, file_format, world, stored, admin):
    from events.attendees.forms import EXPORT_COLUMNS

    columns = "&".join(f"columns={key}" for key in EXPORT_COLUMNS)
    format_name, dialect = ("xlsx", "comma") if file_format == "xlsx" else ("csv", file_format.split("-")[1])
    path = export.format(**world, columns=columns, format_name=format_name, file_format=file_format)
    response = await admin.get(f"{path}&format={file_format}&dialect={dialect}")
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    if file_format == "xlsx":
        cells = _xlsx_cells(response.content)
        assert not [cell.coordinate for cell in cells if cell.data_type == "f"], path
        texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    else:
        texts = _csv_cells(response.content)
        running = [cell for cell in texts if cell.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(cell)]
        assert not running, (path, running)
    if "needs" not in path:  # counts only: no typed text to show
        assert any(formula.strip() in " ".join(texts) for formula in FORMULAS.values()), \
            f"{path}: the typed formulas should be in the file, as text"


async def test_the_theme_export_holds_no_formula(world, stored, admin):
    response = await admin.get(f"/staff/themes/policies/{world['policy_id']}/export.csv")
    assert response.status_code == 200
    cells = _csv_cells(response.content)
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(cell)]
    assert "'=HYPERLINK" in " ".join(cells)
