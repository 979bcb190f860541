"""The input browser: filters that combine, the one visibility rule, keyset pages, counts per theme, bulk steps;
its exports read back (CSV in both dialects, XLSX, JSON) against the filtered view; the API."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import staff_support
from follow_up_support import link_event_themes, make_event, make_item, make_policy
from staff_support import login_as, post_form

from feedback.follow_up import queries
from feedback.follow_up.filters import InputFilter, parse_filter
from feedback.tables import FollowUp, FollowUpInput, InputItem, InputTag

client = staff_support.client


@pytest.fixture
async def world():
    themes = await make_policy()
    other = await make_policy()
    event = await make_event("Dialogue")
    second = await make_event("Café")
    await link_event_themes(event["id"], themes["A"], themes["A.1"], themes["A.2"], themes["B"], themes["C"])
    items = {
        "a1": await make_item(event["id"], "Equal pay for equal work", themes=(themes["A.1"],), kind="proposal"),
        "a_b": await make_item(event["id"], "Safer bike paths to school", themes=(themes["A"], themes["B"])),
        "b": await make_item(second["id"], "More benches in the park", themes=(themes["B"],), kind="concern"),
        "none": await make_item(event["id"], "=HYPERLINK(\"http://evil\")", kind="question"),
        "held": await make_item(event["id"], "Held item about pay", themes=(themes["A.1"],), status="held"),
        "hidden": await make_item(event["id"], "Hidden item about pay", themes=(themes["A.1"],), status="hidden"),
        "merged": await make_item(event["id"], "Merged item about pay", themes=(themes["A.1"],), status="merged"),
        "other": await make_item(second["id"], "Other policy input", themes=(other["A"],)),
        "old": await make_item(second["id"], "An old idea", created_at=datetime(2025, 1, 15, 9, 0, tzinfo=UTC)),
    }
    return {"themes": themes, "other": other, "event": event, "second": second, "items": items}


def ids_of(rows) -> set[int]:
    return {row["id"] for row in rows}


async def view(flt: InputFilter) -> set[int]:
    tree = await queries.theme_tree()
    found: set[int] = set()
    async for batch in queries.batches(flt, tree, size=3):
        found |= ids_of(batch)
    return found


async def test_published_only_unless_asked_and_merged_never(world):
    items = world["items"]
    shown = await view(InputFilter())
    assert items["held"] not in shown and items["hidden"] not in shown and items["merged"] not in shown
    assert {items["a1"], items["a_b"], items["b"], items["none"], items["other"], items["old"]} <= shown
    everything = await view(InputFilter(statuses=("published", "held", "hidden")))
    assert items["held"] in everything and items["hidden"] in everything and items["merged"] not in everything
    only_hidden, errors = parse_filter({"status": ["hidden"]})
    assert not errors and await view(only_hidden) == {items["hidden"]}


async def test_filters_combine(world):
    themes, items, event = world["themes"], world["items"], world["event"]
    assert await view(InputFilter(theme=themes["A"])) == {items["a1"], items["a_b"]}
    assert await view(InputFilter(theme=themes["A"], subthemes=False)) == {items["a_b"]}
    assert await view(InputFilter(theme=themes["B"], event=event["id"])) == {items["a_b"]}
    assert await view(InputFilter(policy=themes["policy"])) == {items["a1"], items["a_b"], items["b"]}
    assert await view(InputFilter(policy=world["other"]["policy"])) == {items["other"]}
    assert await view(InputFilter(kind="concern")) == {items["b"]}
    assert await view(InputFilter(q="PAY equal")) == {items["a1"]}
    assert await view(InputFilter(q="50%")) == set()
    old, errors = parse_filter({"from": ["2025-01-01"], "to": ["2025-01-31"]})
    assert not errors and await view(old) == {items["old"]}


async def test_counts_per_theme_follow_the_filter(world):
    themes = world["themes"]
    tree = await queries.theme_tree()
    counts = await queries.theme_counts(InputFilter(policy=themes["policy"]), tree)
    assert counts == {themes["A.1"]: 1, themes["A"]: 1, themes["B"]: 2}
    counts = await queries.theme_counts(InputFilter(event=world["event"]["id"]), tree)
    assert counts[themes["B"]] == 1


async def test_keyset_pages_walk_every_item_once(world):
    tree = await queries.theme_tree()
    seen, cursor = [], None
    while True:
        page = await queries.page(InputFilter(), tree, cursor=cursor, size=2)
        seen += [row["id"] for row in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted(await view(InputFilter()), reverse=True)


@pytest.mark.parametrize("params, field", [
    ({"theme": ["x"]}, "theme"), ({"event": ["-1"]}, "event"), ({"kind": ["rant"]}, "kind"),
    ({"status": ["merged"]}, "status"), ({"from": ["2026-13-01"]}, "from"),
    ({"from": ["2026-02-01"], "to": ["2026-01-01"]}, "to"), ({"q": ["x" * 201]}, "q"),
    ({"subthemes": ["maybe"]}, "subthemes"),
])
async def test_bad_filters_are_named(params, field):
    _flt, errors = parse_filter(params)
    assert field in errors


async def test_filter_round_trips_through_the_url(world):
    flt = InputFilter(theme=world["themes"]["A"], subthemes=False, kind="idea", statuses=("published", "held"),
                      q="pay", event=world["event"]["id"])
    again, errors = parse_filter({key: value if isinstance(value, list) else [value]
                                  for key, value in flt.query().items()})
    assert not errors and again == flt


# --- pages ------------------------------------------------------------------------------------------------

async def test_the_page_lists_the_view_with_counts(client, world):
    await login_as(client, "organiser")
    response = await client.get(f"/staff/input?theme={world['themes']['A']}")
    assert response.status_code == 200
    assert "Equal pay for equal work" in response.text and "Safer bike paths" in response.text
    assert "More benches" not in response.text and "Hidden item" not in response.text
    response = await client.get("/staff/input?status=hidden&status=held")
    assert "Hidden item about pay" in response.text and "Held item" in response.text
    assert "Equal pay" not in response.text


async def test_bad_filters_reshow_the_page_with_an_error_summary(client, world):
    await login_as(client, "organiser")
    response = await client.get("/staff/input?theme=abc&from=yesterday")
    assert response.status_code == 422
    assert "error-summary" in response.text and "YYYY-MM-DD" in response.text


async def test_facilitators_and_the_anonymous_cannot_browse(client, world):
    response = await client.get("/staff/input")
    assert response.status_code in {303, 401}
    await login_as(client, "facilitator")
    assert (await client.get("/staff/input")).status_code == 403
    assert (await client.get("/api/v1/input")).status_code == 403


async def test_bulk_link_tag_and_hide(client, world):
    items, themes = world["items"], world["themes"]
    await login_as(client, "organiser")
    action = FollowUp(theme=themes["A"], title={"en": "Pay audit"})
    await action.save()
    before = await InputItem.select().where(InputItem.id == items["a1"]).first()
    response = await post_form(client, "/staff/input", "/staff/input/bulk", [
        ("operation", "link"), ("action", str(action.id)), ("item", str(items["a1"])), ("item", str(items["a_b"])),
        ("view", f"theme={themes['A']}"),
    ])
    assert response.status_code == 303 and response.headers["location"] == f"/staff/input?theme={themes['A']}"
    assert await FollowUpInput.count().where(FollowUpInput.follow_up == action.id) == 2
    assert await InputItem.select().where(InputItem.id == items["a1"]).first() == before  # linking changes nothing

    response = await post_form(client, "/staff/input", "/staff/input/bulk", [
        ("operation", "tag"), ("theme", str(themes["C"])), ("item", str(items["a1"])), ("item", str(items["none"])),
    ])
    assert response.status_code == 303
    tagged = {row["input_item"] for row in await InputTag.select().where(InputTag.theme == themes["C"])}
    assert tagged == {items["a1"], items["none"]}

    response = await post_form(client, "/staff/input", "/staff/input/bulk", [
        ("operation", "hide"), ("item", str(items["none"])),
    ])
    assert (await InputItem.select(InputItem.status).where(InputItem.id == items["none"]).first())["status"] == "hidden"


async def test_bulk_steps_change_only_the_items_of_the_organisers_own_events(client, world):
    """The input browser shows all input (follow-up is per policy, across events), but tagging and hiding act,
    as moderation does, only on the events whose team the organiser is on."""
    items, themes = world["items"], world["themes"]
    await login_as(client, "organiser", teams=[world["second"]["id"]])
    response = await post_form(client, "/staff/input", "/staff/input/bulk", [
        ("operation", "tag"), ("theme", str(themes["B"])), ("item", str(items["a1"])), ("item", str(items["b"])),
    ])
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "1 item was left as it was: it belongs to an event whose team you are not on." in page.text
    assert not await InputTag.exists().where((InputTag.input_item == items["a1"]) & (InputTag.theme == themes["B"]))

    response = await post_form(client, "/staff/input", "/staff/input/bulk", [
        ("operation", "hide"), ("item", str(items["none"])), ("item", str(items["old"])),
    ])
    statuses = {row["id"]: row["status"] for row in await InputItem.select(InputItem.id, InputItem.status).where(
        InputItem.id.is_in([items["none"], items["old"]]))}
    assert statuses == {items["none"]: "published", items["old"]: "hidden"}
    assert "whose team you are not on" in (await client.get(response.headers["location"])).text


async def test_bulk_without_items_or_operation_says_so(client, world):
    await login_as(client, "organiser")
    response = await post_form(client, "/staff/input", "/staff/input/bulk", [("operation", "hide")])
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "Choose at least one item first." in page.text
    response = await post_form(client, "/staff/input", "/staff/input/bulk",
                               [("operation", "explode"), ("item", str(world["items"]["a1"]))])
    assert "Choose what to do" in (await client.get(response.headers["location"])).text
    response = await post_form(client, "/staff/input", "/staff/input/bulk",
                               [("operation", "link"), ("action", "999999"), ("item", str(world["items"]["a1"]))])
    assert "Choose the action" in (await client.get(response.headers["location"])).text


# --- exports ----------------------------------------------------------------------------------------------

def read_csv(body: bytes, delimiter: str) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=delimiter))


async def expected_rows(flt: InputFilter) -> list[tuple[int, str]]:
    """(item id, theme code) of the filtered view: one per theme the item is listed under."""
    tree = await queries.theme_tree()
    wanted = queries.filter_theme_ids(flt, tree)
    rows = []
    async for batch in queries.batches(flt, tree):
        for row in batch:
            themes = sorted((t for t in row["theme_ids"] if wanted is None or t in wanted), key=tree.position)
            rows += [(row["id"], tree.themes[t].code) for t in themes] or [(row["id"], "")]
    return rows


@pytest.mark.parametrize("dialect, delimiter", [("semicolon", ";"), ("comma", ",")])
async def test_csv_is_exactly_the_view_in_both_dialects(client, world, dialect, delimiter):
    await login_as(client, "organiser")
    themes = world["themes"]
    query = f"policy={themes['policy']}&dialect={dialect}"
    response = await client.get(f"/staff/input/export/csv?{query}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert f"_{themes['code']}_" in response.headers["content-disposition"]
    rows = read_csv(response.content, delimiter)
    got = [(int(row[0]), row[12]) for row in rows[1:]]
    flt, _ = parse_filter({"policy": [str(themes["policy"])]})
    assert got == await expected_rows(flt)
    assert got.count((world["items"]["a_b"], "A")) == 1 and got.count((world["items"]["a_b"], "B")) == 1


async def test_csv_guards_against_formulas(client, world):
    await login_as(client, "organiser")
    response = await client.get("/staff/input/export/csv?kind=question")
    rows = read_csv(response.content, ";")
    assert rows[1][10] == "'=HYPERLINK(\"http://evil\")"


async def test_xlsx_has_a_summary_and_a_sheet_per_theme(client, world):
    from openpyxl import load_workbook

    await login_as(client, "organiser")
    themes, items = world["themes"], world["items"]
    response = await client.get(f"/staff/input/export/xlsx?policy={themes['policy']}")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    names = workbook.sheetnames
    assert names[0] == "Summary" and names[1:] == ["A Theme A", "A.1 Theme A.1", "B Theme B"]
    per_sheet = {name: {row[0] for row in workbook[name].iter_rows(min_row=2, values_only=True)} for name in names[1:]}
    assert per_sheet == {"A Theme A": {items["a_b"]}, "A.1 Theme A.1": {items["a1"]},
                         "B Theme B": {items["a_b"], items["b"]}}
    summary = list(workbook["Summary"].iter_rows(values_only=True))
    assert summary[0] == ("Items", 3)


async def test_xlsx_cells_are_text_never_formulas(client, world):
    from openpyxl import load_workbook

    await login_as(client, "organiser")
    response = await client.get("/staff/input/export/xlsx?kind=question")
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook[workbook.sheetnames[-1]]
    cell = sheet.cell(row=2, column=11)
    assert cell.value == "=HYPERLINK(\"http://evil\")" and cell.data_type == "s"


async def test_json_and_api_give_the_same_view(client, world):
    await login_as(client, "organiser")
    themes = world["themes"]
    exported = json.loads((await client.get(f"/staff/input/export/json?theme={themes['A']}")).content)
    from_api = (await client.get(f"/api/v1/input?theme={themes['A']}")).json()
    assert exported == from_api
    assert {item["id"] for item in exported["items"]} == {world["items"]["a1"], world["items"]["a_b"]}
    assert exported["count"] == 2


async def test_api_with_a_token_and_formats(client, world):
    from staff_support import make_staff

    from samrad.core.accounts import create_api_token

    email = await make_staff("organiser")
    token = await create_api_token(email, "script")
    headers = {"Authorization": f"Bearer {token}"}
    response = await client.get("/api/v1/input?format=csv&dialect=comma&status=hidden", headers=headers)
    assert response.status_code == 200
    rows = read_csv(response.content, ",")
    assert {int(row[0]) for row in rows[1:]} == {world["items"]["hidden"]}
    response = await client.get("/api/v1/input?format=xlsx", headers=headers)
    assert response.status_code == 200 and response.content[:2] == b"PK"


@pytest.mark.parametrize("query, field", [
    ("format=pdf", "format"), ("format=csv&dialect=tab", "dialect"), ("status=gone", "status"),
    ("from=2026-99-01", "from"), ("kind=rant", "kind"),
])
async def test_api_bad_parameters_answer_422(client, world, query, field):
    await login_as(client, "organiser")
    response = await client.get(f"/api/v1/input?{query}")
    assert response.status_code == 422
    assert field in {error["field"] for error in response.json()["errors"]}


async def test_api_without_credentials_is_401(client):
    assert (await client.get("/api/v1/input")).status_code == 401


async def test_print_report_has_a_section_per_theme(client, world):
    await login_as(client, "organiser")
    response = await client.get(f"/staff/input/report?policy={world['themes']['policy']}")
    assert response.status_code == 200
    assert response.text.count('class="fu-report-section"') == 3
    assert "Hidden item" not in response.text


async def test_an_export_with_bad_parameters_shows_the_view_with_what_to_correct(client, world):
    await login_as(client, "organiser")
    response = await client.get("/staff/input/export/csv?from=soon")
    assert response.status_code == 422 and "YYYY-MM-DD" in response.text
    response = await client.get("/staff/input/export/csv?dialect=tab")
    assert response.status_code == 422 and "semicolon or the comma" in response.text
    assert (await client.get("/staff/input/export/pdf")).status_code == 404


async def test_held_items_stay_out_of_every_export_unless_asked(client, world):
    await login_as(client, "organiser")
    for path in ("/staff/input/export/csv", "/staff/input/export/json", "/api/v1/input", "/staff/input/report"):
        body = (await client.get(path)).content
        assert b"Held item" not in body and b"Hidden item" not in body and b"Merged item" not in body, path
    body = (await client.get("/staff/input/export/csv?status=published,held")).content.decode("utf-8-sig")
    assert "Held item" in body and "Hidden item" not in body


async def test_dates_are_listed_to_the_minute_in_local_time(world):
    tree = await queries.theme_tree()
    async for batch in queries.batches(InputFilter(date_from=datetime(2025, 1, 1).date(),
                                                   date_to=datetime(2025, 1, 31).date()), tree):
        assert [row["created_at"] for row in batch] == [datetime(2025, 1, 15, 9, 0, tzinfo=UTC)]
    assert timedelta(0) == timedelta(0)
