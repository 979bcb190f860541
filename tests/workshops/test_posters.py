"""Posters for a workshop and its tables: the join link as a QR code, the code in large type, the title and an
instruction in each of the event's languages, A4 or A5; for those who may run the workshop only."""

from __future__ import annotations

import html

import staff_support
from staff_support import login
from workshop_support import conference, log_in_as, log_in_as_organiser, staff_id

from workshops.management.forms import WorkshopData
from workshops.management.services import create_workshop
from workshops.posters.services import qr_svg
from workshops.tables import Workshop, WorkshopTable

client = staff_support.client


class NoThemes:
    async def set_workshop_themes(self, workshop_id, theme_ids) -> None:
        pass


async def _workshop(event, *, facilitators=(), title=None) -> tuple[dict, list[dict]]:
    from datetime import timedelta

    data = WorkshopData(
        title=title or {"da": "Lige løn", "sv": "Lika lön", "en": "Equal pay"}, description={}, room="1.10",
        starts_at=event["starts_at"], ends_at=event["starts_at"] + timedelta(hours=1), capacity=None,
        tables=("Bord 1", "Vinduesbordet"), facilitator_ids=tuple(facilitators), theme_ids=(),
    )
    workshop_id = await create_workshop(event["id"], data, NoThemes(), "test")
    workshop = await Workshop.select().where(Workshop.id == workshop_id).first()
    tables = await WorkshopTable.select().where(WorkshopTable.workshop == workshop_id).order_by(WorkshopTable.position)
    return workshop, tables


async def test_the_workshop_poster_has_the_qr_code_of_the_join_link_the_code_and_every_language(client, settings):
    event = await conference(title={"da": "Konference", "sv": "Konferens", "en": "Conference"})
    workshop, _tables = await _workshop(event)
    await log_in_as_organiser(client, event["id"])
    page = await client.get(f"/staff/workshops/{workshop['id']}/poster")
    assert page.status_code == 200
    text = html.unescape(page.text)
    code = workshop["join_code"]
    link = f"{settings.base_url}/j/{code}"
    address = link.split("://", 1)[1]
    assert f'<p class="poster-code">{code}</p>' in text
    assert qr_svg(link, f"QR code for {address}") in text, "the QR code encodes the absolute join link"
    assert 'role="img"' in text and 'aria-label="QR code for' in text
    for locale, title in (("da", "Lige løn"), ("sv", "Lika lön"), ("en", "Equal pay")):
        assert f'<p class="poster-title" lang="{locale}">{title}</p>' in text
    assert f"Scan QR-koden med din telefon, eller åbn {address}" in text
    assert f"Skanna QR-koden med din telefon eller öppna {address}" in text
    assert f"Scan the QR code with your phone, or open {address}" in text
    assert 'class="posters poster-a4"' in text and '/static/css/poster.css' in text


async def test_a5_and_one_table_or_every_table_on_its_own_sheet(client):
    event = await conference()  # titled in Danish and English
    workshop, tables = await _workshop(event)
    await log_in_as_organiser(client, event["id"])
    base = f"/staff/workshops/{workshop['id']}/poster"
    one = html.unescape((await client.get(f"{base}?size=a5&table={tables[1]['id']}")).text)
    assert 'class="posters poster-a5"' in one and 'value="a5" checked' in one
    assert f'<p class="poster-code">{tables[1]["join_code"]}</p>' in one and "Vinduesbordet" in one
    assert f"/j/{tables[1]['join_code']}" in one and workshop["join_code"] not in one.split('class="posters')[1]
    assert 'lang="sv"' not in one.split('class="posters')[1], "only the event's languages (Danish, English)"
    every = html.unescape((await client.get(f"{base}?table=all")).text)
    assert every.count('<section class="poster"') == 2
    assert all(t["join_code"] in every for t in tables)
    odd = await client.get(f"{base}?size=a3&table=999999")
    assert odd.status_code == 200 and 'class="posters poster-a4"' in odd.text and odd.text.count(
        '<section class="poster"') == 1


async def test_the_print_styles_set_the_paper_size_and_leave_the_page_out(client):
    response = await client.get("/static/css/poster.css")
    assert response.status_code == 200
    css = response.text
    assert "@page poster-a4 { size: A4" in css and "@page poster-a5 { size: A5" in css
    assert "@media print" in css and "break-after: page" in css


async def test_only_who_may_run_the_workshop_prints_its_posters(app, client):
    event = await conference()
    email = await staff_support.make_staff("facilitator")
    assigned = await staff_id(email)
    workshop, _tables = await _workshop(event, facilitators=[assigned])
    await log_in_as(client, "facilitator")
    assert (await client.get(f"/staff/workshops/{workshop['id']}/poster")).status_code in {403, 404}
    import httpx

    transport = httpx.ASGITransport(app=app, client=(staff_support.next_address(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as browser:
        assert (await login(browser, email)).status_code == 303
        assert (await browser.get(f"/staff/workshops/{workshop['id']}/poster")).status_code == 200
        assert (await browser.get("/staff/workshops/999999/poster")).status_code == 404
