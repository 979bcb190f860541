"""The participant list: search, filters that combine, counts per filter, sorting, pages; sensitive events show
counts only, and opening one of their registrations on purpose is audited."""

from __future__ import annotations

import re

import staff_support
from attendee_support import base, register, roster, seat_plan
from public_support import make_org_unit
from registration_support import make_event, make_workshop
from staff_support import login, login_as, make_staff, post_form

from events.access import add_to_team
from events.attendees import queries
from events.checkin.services import check_in
from samrad.core.tables import AuditEntry, StaffUser

client = staff_support.client


def names_in(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', html)


async def _conference():
    unit = await make_org_unit("Dagtilbud")
    other_unit = await make_org_unit("Skoler")
    event = await make_event(capacity=3, categories=("staff", "citizen"))
    workshop = await make_workshop(event["id"], capacity=10, title="Safe schools")
    seats = seat_plan()
    mette = await register(event["id"], "Mette Kjær", category="staff", org_unit_id=unit, workshop_ids=(workshop,),
                           seats=seats, access_needs=("hearing_loop",))
    lars = await register(event["id"], "Lars Nørgaard", category="staff", org_unit_id=other_unit, diet="vegan",
                          email="lars@kommune.example")
    søren = await register(event["id"], "Søren Østergaard", workshop_ids=(workshop,), seats=seats)
    ida = await register(event["id"], "Ida Holm")  # the fourth: on the waiting list
    await check_in(mette.ticket_code, event["id"])
    return event, workshop, unit, {"mette": mette, "lars": lars, "søren": søren, "ida": ida}


async def test_filters_combine_and_count_what_each_choice_would_give():
    event, workshop, unit, _people = await _conference()
    rows = await queries.event_registrations(event["id"], roster())

    def names(**wanted):
        return [row["name"] for row in queries.apply(rows, queries.ListFilter(**wanted))]

    assert names() == ["Mette Kjær", "Lars Nørgaard", "Søren Østergaard", "Ida Holm"]
    assert names(status="waitlisted") == ["Ida Holm"]
    assert names(category="staff", checked_in="no") == ["Lars Nørgaard"]
    assert names(workshop=workshop) == ["Mette Kjær", "Søren Østergaard"]
    assert names(workshop=workshop, category="citizen") == ["Søren Østergaard"]
    assert names(unit=unit) == ["Mette Kjær"]
    assert names(needs="hearing_loop") == ["Mette Kjær"]
    assert names(needs="diet") == ["Lars Nørgaard"]
    assert names(needs="any") == ["Mette Kjær"]
    facets = queries.facet_counts(rows, queries.ListFilter(category="staff"))
    # The category's own counts ignore the category filter; the others apply it.
    assert facets["category"]["staff"] == 2 and facets["category"]["citizen"] == 2
    assert facets["checked_in"] == {"yes": 1, "no": 1}
    assert facets["status"]["confirmed"] == 2 and facets["status"]["waitlisted"] == 0
    assert facets["workshop"][str(workshop)] == 1


async def test_search_finds_names_in_any_case_emails_and_ticket_codes():
    event, _workshop, _unit, people = await _conference()
    rows = await queries.event_registrations(event["id"], None)

    def found(text: str) -> list[str]:
        return [row["name"] for row in queries.apply(rows, queries.ListFilter(q=text))]

    assert found("søren ØSTERGAARD") == ["Søren Østergaard"]
    assert found("kommune.example") == ["Lars Nørgaard"]
    code = people["ida"].ticket_code
    assert found(f"{code[:3].lower()} {code[3:]}") == ["Ida Holm"]
    assert found("nobody") == []


async def test_sorting_both_ways():
    event, _workshop, _unit, _people = await _conference()
    rows = await queries.event_registrations(event["id"], None)
    by_name = [row["name"] for row in queries.apply(rows, queries.ListFilter(sort="name"))]
    assert by_name == ["Ida Holm", "Lars Nørgaard", "Mette Kjær", "Søren Østergaard"]
    backwards = [row["name"] for row in queries.apply(rows, queries.ListFilter(sort="name", descending=True))]
    assert backwards == by_name[::-1]
    checked_first = queries.apply(rows, queries.ListFilter(sort="checked_in"))
    assert checked_first[0]["name"] == "Mette Kjær"


async def test_the_list_page_filters_counts_sorts_and_pages(client):
    event, workshop, _unit, _people = await _conference()
    await login_as(client, "admin")
    page = await client.get(f"{base(event)}?status=all&sort=-name")
    assert page.status_code == 200
    assert names_in(page.text) == ["Søren Østergaard", "Mette Kjær", "Lars Nørgaard", "Ida Holm"]
    assert 'aria-sort="descending"' in page.text
    assert re.search(r"On the waiting list \(1\)</option>", page.text)
    assert re.search(r"Safe schools \(2\)</option>", page.text)
    narrowed = await client.get(f"{base(event)}?workshop={workshop}&checked_in=no")
    assert names_in(narrowed.text) == ["Søren Østergaard"]
    assert "1 registration matches." in narrowed.text
    searched = await client.get(f"{base(event)}?q=mette")
    assert names_in(searched.text) == ["Mette Kjær"]


async def test_pages_of_fifty(client):
    event = await make_event(capacity=None)
    for number in range(55):
        await register(event["id"], f"Person {number:03d}")
    await login_as(client, "admin")
    first = await client.get(f"{base(event)}?sort=name")
    assert len(names_in(first.text)) == 50 and "Page 1 of 2" in first.text
    second = await client.get(f"{base(event)}?sort=name&page=2")
    assert names_in(second.text) == [f"Person {number:03d}" for number in range(50, 55)]
    beyond = await client.get(f"{base(event)}?page=99")
    assert beyond.status_code == 200 and "Page 2 of 2" in beyond.text


async def test_bad_filter_values_are_left_out_not_an_error(client):
    event, _workshop, _unit, _people = await _conference()
    await login_as(client, "admin")
    page = await client.get(f"{base(event)}?status=bogus&unit=abc&sort=';drop&page=-3&needs=x")
    assert page.status_code == 200
    assert len(names_in(page.text)) == 4


async def test_a_sensitive_event_shows_counts_and_never_names(client):
    event = await make_event(capacity=20, sensitive=True)
    await register(event["id"], "Alex Sensitive-Name")
    await login_as(client, "admin")
    page = await client.get(f"{base(event)}?q=Alex")
    assert page.status_code == 200
    assert "Alex Sensitive-Name" not in page.text and "only numbers here" in page.text
    for path in ("badges", "door-list", "export/list?format=csv-comma"):
        assert (await client.get(f"/staff/events/{event['id']}/{path}")).status_code == 404


async def test_opening_one_sensitive_registration_is_on_purpose_and_audited(client):
    event = await make_event(capacity=20, sensitive=True)
    registration = await register(event["id"], "Alex Sensitive-Name", email="alex@example.org")
    actor = await login_as(client, "admin")
    direct = await client.get(f"{base(event)}/{registration.registration_id}")
    assert direct.status_code == 404  # not without opening it on purpose
    refused = await post_form(client, base(event), f"{base(event)}/open", {"lookup": "alex@example.org"})
    assert refused.status_code == 422 and "on purpose" in refused.text
    unknown = await post_form(client, base(event), f"{base(event)}/open",
                              {"lookup": "someone@example.org", "purpose": "1"})
    assert unknown.status_code == 422 and "Alex" not in unknown.text
    assert not await AuditEntry.exists().where(AuditEntry.action == "registration.open_sensitive")
    opened = await post_form(client, base(event), f"{base(event)}/open",
                             {"lookup": "ALEX@example.org", "purpose": "1"})
    assert opened.status_code == 303
    shown = await client.get(opened.headers["location"])
    assert shown.status_code == 200 and "Alex Sensitive-Name" in shown.text
    entry = await AuditEntry.select().where(AuditEntry.action == "registration.open_sensitive").first()
    assert entry["actor"] == actor
    assert entry["subject"] == f"event:{event['id']}/registration:{registration.registration_id}"
    assert "Alex" not in entry["subject"]
    by_code = await post_form(client, base(event), f"{base(event)}/open",
                              {"lookup": registration.ticket_code.lower(), "purpose": "1"})
    assert by_code.status_code == 303


async def test_organisers_see_only_their_own_events(client):
    event = await make_event()
    other = await make_event()
    await register(event["id"], "Mette Kjær")
    email = await make_staff("organiser")
    user = await StaffUser.select(StaffUser.id).where(StaffUser.email == email).first()
    await add_to_team(event["id"], user["id"])
    assert (await login(client, email)).status_code == 303
    assert (await client.get(base(event))).status_code == 200
    assert (await client.get(base(other))).status_code == 403
    assert (await client.get(f"/staff/events/{other['id']}/export")).status_code == 403
    assert (await client.get("/staff/events/999999/registrations")).status_code == 404


async def test_check_in_staff_cannot_read_the_list(client):
    event = await make_event()
    await login_as(client, "checkin")
    assert (await client.get(base(event))).status_code == 403


async def test_names_sort_in_the_order_of_the_readers_language():
    names = ["Åse", "Ørjan", "Ärla", "Zara", "Anna", "Æble"]
    assert sorted(names, key=lambda n: queries.name_key(n, "da")) == ["Anna", "Zara", "Æble", "Ärla", "Ørjan", "Åse"]
    assert sorted(names, key=lambda n: queries.name_key(n, "sv")) == ["Anna", "Zara", "Åse", "Æble", "Ärla", "Ørjan"]
    assert sorted(names, key=lambda n: queries.name_key(n, "en")) == ["Æble", "Anna", "Ärla", "Åse", "Ørjan", "Zara"]
