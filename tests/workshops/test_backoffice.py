"""Organisers set up the workshops of an event in the staff pages: create, edit, reorder and remove them, with
tables (each with a join code), facilitators and policy themes. Bad input re-shows the form, nothing written."""

from __future__ import annotations

import re

import pytest
import staff_support
from registration_support import make_workshop, person
from staff_support import csrf_token, post_form
from workshop_support import conference, local, log_in_as, log_in_as_organiser, make_themes, staff_id, workshop_fields

from events.registration import services as registration
from feedback.tables import InputItem, WorkshopTheme
from samrad.core.audit import AuditEntry
from workshops.services import WorkshopSeatPlan
from workshops.tables import SeatStatus, Workshop, WorkshopFacilitator, WorkshopSeat, WorkshopTable

client = staff_support.client
other_client = staff_support.other_client


async def _workshops(event_id: int) -> list[dict]:
    return await Workshop.select().where(Workshop.event == event_id).order_by(Workshop.position).output(
        load_json=True
    )


async def _tables(workshop_id: int) -> list[dict]:
    return await WorkshopTable.select().where(WorkshopTable.workshop == workshop_id).order_by(WorkshopTable.position)


async def test_the_event_pages_link_to_the_workshops_page(client):
    event = await conference()
    await log_in_as_organiser(client, event["id"])
    page = await client.get(f"/staff/events/{event['id']}/edit")
    assert f'href="/staff/events/{event["id"]}/workshops"' in page.text


async def test_an_organiser_creates_a_workshop_with_tables_facilitators_and_themes(client):
    event = await conference()
    await log_in_as_organiser(client, event["id"])
    themes = await make_themes()
    runner = await staff_id(await staff_support.make_staff("facilitator", name="Frida Facilitator"))
    form = f"/staff/events/{event['id']}/workshops/new"
    page = await client.get(form)
    assert page.status_code == 200 and "Frida Facilitator" in page.text and "Theme T1.1" in page.text
    assert "Theme T9" not in page.text, "archived themes are not offered"
    response = await post_form(client, form, form, [
        *workshop_fields(event, table_label_2="Window table").items(),
        ("facilitators", str(runner)), ("themes", str(themes["T1"])), ("themes", str(themes["T1.1"])),
    ])
    assert response.status_code == 303, response.text[:2000]
    [workshop] = await _workshops(event["id"])
    assert response.headers["location"] == f"/staff/events/{event['id']}/workshops#workshop-{workshop['id']}"
    assert workshop["title"] == {"da": "Lige løn", "sv": "Lika lön", "en": "Equal pay"}
    assert workshop["description"] == {"en": "How do we close the pay gap?"}
    assert workshop["room"] == "Lokale 1.10" and workshop["capacity"] == 30
    assert workshop["starts_at"] == event["starts_at"].replace(hour=event["starts_at"].hour + 1)
    assert len(workshop["join_code"]) == 6
    tables = await _tables(workshop["id"])
    # The event's first language is Danish: an unnamed table is a "Bord".
    assert [t["label"] for t in tables] == ["Bord 1", "Window table"]
    assert len({t["join_code"] for t in tables} | {workshop["join_code"]}) == 3
    assert [r["staff_user"] for r in await WorkshopFacilitator.select()] == [runner]
    assert sorted(r["theme"] for r in await WorkshopTheme.select()) == sorted([themes["T1"], themes["T1.1"]])
    assert await AuditEntry.exists().where(AuditEntry.action == "workshop.create")

    listing = (await client.get(f"/staff/events/{event['id']}/workshops")).text
    for text in ("Equal pay", workshop["join_code"], tables[1]["join_code"], "Frida Facilitator", "Theme T1.1"):
        assert text in listing
    for path in ("/staff/workshops/{id}/capture", "/staff/workshops/{id}/queue", "/workshops/{id}/wall"):
        assert f'href="{path.format(id=workshop["id"])}"' in listing, "the workshop's own pages are one click away"
    for path in (f"/staff/events/{event['id']}/queue", f"/events/{event['slug']}/wall",
                 f"/staff/events/{event['id']}/input-settings"):
        assert f'href="{path}"' in listing, "so are the event's queue, wall and input settings"


BAD_INPUT = [
    ({"title_da": "", "title_sv": "", "title_en": ""}, "Enter a title in at least one language."),
    ({"title_en": "x" * 201}, "Use at most 200 characters."),
    ({"description_sv": "x" * 5001}, "Use at most 5000 characters."),
    ({"room": "x" * 121}, "Use at most 120 characters."),
    ({"starts_at": ""}, "Enter when the workshop starts."),
    ({"starts_at": "tomorrow"}, "Enter a date and time like 2027-03-01 09:00."),
    ({"ends_at": ""}, "Enter when the workshop ends."),
    ({"ends_at": "2027-13-45T99:00"}, "Enter a date and time like 2027-03-01 09:00."),
    ({"starts_at": "START-1"}, "within the event"),
    ({"ends_at": "END+1"}, "within the event"),
    ({"ends_at": "START+1"}, "The workshop must end after it starts."),
    ({"capacity": "-3"}, "Enter the number of seats as a whole number"),
    ({"capacity": "lots"}, "Enter the number of seats as a whole number"),
    ({"capacity": "100001"}, "Enter the number of seats as a whole number"),
    ({"table_count": "61"}, "Enter the number of tables as a whole number from 0 to 60."),
    ({"table_count": "two"}, "Enter the number of tables as a whole number from 0 to 60."),
    ({"table_label_1": "x" * 81}, "Use at most 80 characters."),
    ({"table_label_1": "Bord A", "table_label_2": "bord a"}, "Two tables cannot have the same name."),
    ({"facilitators": "FACILITATOR"}, "Choose facilitators from the list."),
    ({"facilitators": "999999"}, "Choose facilitators from the list."),
    ({"facilitators": "abc"}, "Choose facilitators from the list."),
    ({"themes": "999999"}, "Choose themes from the list."),
    ({"themes": "ARCHIVED"}, "Choose themes from the list."),
    ({"themes": "x"}, "Choose themes from the list."),
]


@pytest.mark.parametrize(("overrides", "message"), BAD_INPUT)
async def test_bad_input_shows_the_form_again_with_its_error_and_writes_nothing(client, overrides, message):
    event = await conference()
    await log_in_as_organiser(client, event["id"])
    themes = await make_themes()
    checkin = await staff_id(await staff_support.make_staff("checkin"))
    fixed = {
        "START-1": local(event, -1), "END+1": local(event, 7.5), "START+1": local(event, 1),
        "FACILITATOR": str(checkin), "ARCHIVED": str(themes["T9"]),
    }
    overrides = {key: fixed.get(value, value) for key, value in overrides.items()}
    form = f"/staff/events/{event['id']}/workshops/new"
    response = await post_form(client, form, form, workshop_fields(event, **overrides))
    assert response.status_code == 422
    assert "There is a problem with your answers" in response.text and message in response.text
    assert await Workshop.count() == 0 and await WorkshopTable.count() == 0


async def test_the_form_keeps_what_was_typed_when_it_comes_back(client):
    event = await conference()
    await log_in_as_organiser(client, event["id"])
    form = f"/staff/events/{event['id']}/workshops/new"
    response = await post_form(client, form, form, workshop_fields(event, capacity="many", room="Salen <b>"))
    assert response.status_code == 422
    assert 'value="Salen &lt;b&gt;"' in response.text and 'value="many"' in response.text
    assert 'aria-invalid="true"' in response.text and 'href="#capacity"' in response.text


async def test_editing_keeps_table_codes_and_cut_tables_keep_their_input_on_the_workshop(client):
    event = await conference()
    await log_in_as_organiser(client, event["id"])
    form = f"/staff/events/{event['id']}/workshops/new"
    await post_form(client, form, form, workshop_fields(event, table_count="3"))
    [workshop] = await _workshops(event["id"])
    first, second, third = await _tables(workshop["id"])
    item = InputItem(event=event["id"], workshop=workshop["id"], workshop_table=third["id"], text="Lige løn nu")
    await item.save()

    edit = f"/staff/workshops/{workshop['id']}/edit"
    page = await client.get(edit)
    assert third["join_code"] in page.text and 'value="Bord 2"' in page.text
    response = await post_form(client, edit, edit, workshop_fields(
        event, title_en="Equal pay now", table_count="2", table_label_1="Vinduesbordet", table_label_2="Bord 2",
    ))
    assert response.status_code == 303, response.text[:2000]
    tables = await _tables(workshop["id"])
    assert [(t["id"], t["label"], t["join_code"]) for t in tables] == [
        (first["id"], "Vinduesbordet", first["join_code"]), (second["id"], "Bord 2", second["join_code"]),
    ]
    kept = await InputItem.select().where(InputItem.id == item.id).first()
    assert kept["workshop"] == workshop["id"] and kept["workshop_table"] is None
    assert (await _workshops(event["id"]))[0]["title"]["en"] == "Equal pay now"


async def test_the_capacity_cannot_go_below_the_seats_booked_and_more_seats_serve_the_waiting_list(client):
    event = await conference(capacity=20)
    workshop_id = await make_workshop(event["id"], capacity=1, starts_at=event["starts_at"])
    seats = WorkshopSeatPlan()
    first = await registration.register(event["id"], person(1, workshop_ids=[workshop_id]), seats)
    second = await registration.register(event["id"], person(2, workshop_ids=[workshop_id]), seats)
    await log_in_as_organiser(client, event["id"])
    edit = f"/staff/workshops/{workshop_id}/edit"
    too_small = await post_form(client, edit, edit, workshop_fields(event, capacity="0", table_count="0"))
    assert too_small.status_code == 409 and "1 seats are already booked" in too_small.text
    raised = await post_form(client, edit, edit, workshop_fields(event, capacity="2", table_count="0"))
    assert raised.status_code == 303
    statuses = {row["registration"]: row["status"] for row in await WorkshopSeat.select()}
    assert statuses == {first.registration_id: SeatStatus.confirmed, second.registration_id: SeatStatus.confirmed}
    assert "moved up from the waiting list" in (await client.get(raised.headers["location"])).text


async def test_workshops_move_up_and_down_with_plain_buttons(client):
    event = await conference()
    ids = [await make_workshop(event["id"], title=name) for name in ("Alpha", "Beta", "Gamma")]
    await log_in_as_organiser(client, event["id"])
    listing = f"/staff/events/{event['id']}/workshops"
    page = (await client.get(listing)).text
    assert page.index("Alpha") < page.index("Beta") < page.index("Gamma")
    assert page.count('value="up"') == 2 and page.count('value="down"') == 2, "no dead buttons at the ends"

    moved = await post_form(client, listing, f"/staff/workshops/{ids[2]}/move", {"direction": "up"})
    assert moved.status_code == 303 and moved.headers["location"] == f"{listing}#workshop-{ids[2]}"
    assert [w["id"] for w in await _workshops(event["id"])] == [ids[0], ids[2], ids[1]]
    await post_form(client, listing, f"/staff/workshops/{ids[0]}/move", {"direction": "down"})
    assert [w["id"] for w in await _workshops(event["id"])] == [ids[2], ids[0], ids[1]]
    for workshop_id, direction in ((ids[2], "up"), (ids[1], "down"), (ids[0], "sideways")):
        await post_form(client, listing, f"/staff/workshops/{workshop_id}/move", {"direction": direction})
    assert [w["id"] for w in await _workshops(event["id"])] == [ids[2], ids[0], ids[1]]
    page = (await client.get(listing)).text
    assert page.index("Gamma") < page.index("Alpha") < page.index("Beta")


async def test_removing_a_workshop_with_input_and_seats_asks_first_and_keeps_the_input(client):
    event = await conference(capacity=20)
    await log_in_as_organiser(client, event["id"])
    form = f"/staff/events/{event['id']}/workshops/new"
    await post_form(client, form, form, workshop_fields(event, table_count="1"))
    [workshop] = await _workshops(event["id"])
    [table] = await _tables(workshop["id"])
    for text, table_id in (("Mere ligeløn", table["id"]), ("Flere kvinder i ledelsen", None)):
        await InputItem(event=event["id"], workshop=workshop["id"], workshop_table=table_id, text=text).save()
    booked = await registration.register(event["id"], person(1, workshop_ids=[workshop["id"]]), WorkshopSeatPlan())

    remove = f"/staff/workshops/{workshop['id']}/remove"
    page = await client.get(remove)
    assert page.status_code == 200
    assert "It holds 2 input items" in page.text and "1 person has chosen it" in page.text
    unconfirmed = await post_form(client, remove, remove, {})
    assert unconfirmed.status_code == 422 and await Workshop.count() == 1

    removed = await post_form(client, remove, remove, {"confirm": "1"})
    assert removed.status_code == 303 and removed.headers["location"] == f"/staff/events/{event['id']}/workshops"
    assert await Workshop.count() == 0 and await WorkshopTable.count() == 0 and await WorkshopSeat.count() == 0
    items = await InputItem.select(InputItem.text, InputItem.workshop, InputItem.workshop_table, InputItem.event)
    assert len(items) == 2
    assert all(i["workshop"] is None and i["workshop_table"] is None and i["event"] == event["id"] for i in items)
    from events.tables import Registration

    kept = await Registration.select(Registration.status).where(Registration.id == booked.registration_id).first()
    assert kept["status"] == "confirmed", "the registrant keeps the event"


async def test_an_empty_workshop_is_removed_without_the_confirmation_box(client):
    event = await conference()
    workshop_id = await make_workshop(event["id"])
    await log_in_as_organiser(client, event["id"])
    remove = f"/staff/workshops/{workshop_id}/remove"
    page = await client.get(remove)
    assert 'type="checkbox"' not in page.text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    response = await client.post(remove, data={"_csrf_token": token, "confirm": "1"})
    assert response.status_code == 303 and await Workshop.count() == 0


async def test_only_the_events_organisers_set_its_workshops_up(app, client, other_client):
    event = await conference()
    workshop_id = await make_workshop(event["id"])
    await log_in_as(client, "facilitator")
    for path in (f"/staff/events/{event['id']}/workshops", f"/staff/workshops/{workshop_id}/edit",
                 f"/staff/workshops/{workshop_id}/remove"):
        assert (await client.get(path)).status_code == 403, path
    await log_in_as_organiser(other_client, None)  # an organiser, not on this event's team
    assert (await other_client.get(f"/staff/events/{event['id']}/workshops")).status_code == 403
    token = await csrf_token(other_client, "/staff")
    response = await other_client.post(f"/staff/workshops/{workshop_id}/remove",
                                       data={"_csrf_token": token, "confirm": "1"})
    assert response.status_code == 403 and await Workshop.count() == 1


async def test_unknown_workshops_and_events_are_404(client):
    event = await conference()
    await log_in_as(client, "admin")
    assert (await client.get("/staff/workshops/999999/edit")).status_code == 404
    assert (await client.get("/staff/events/999999/workshops")).status_code == 404
    assert (await client.get(f"/staff/events/{event['id']}/workshops")).status_code == 200
