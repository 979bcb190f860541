"""The audit log names a workshop under its event (``event:12/workshop:40``), as it does registrations: filtering
the log by the event shows what was done to its workshops (created, changed, removed), and no other event's."""

from __future__ import annotations

import re

import staff_support
from registration_support import make_workshop
from staff_support import login_as, post_form
from workshop_support import conference, log_in_as_organiser, workshop_fields

from samrad.core.tables import AuditEntry
from workshops.tables import Workshop

client = staff_support.client
other_client = staff_support.other_client


def shown(page) -> set[tuple[str, str]]:
    """(action, subject) of each row of the audit log page."""
    return set(re.findall(r"<code>([a-z._]+)</code></td>\s*<td>(?:<a [^>]*>)?([a-z:0-9/]+)<", page.text))


async def test_workshop_changes_are_audited_under_their_event(client, other_client):
    event, other = await conference(), await conference()
    theirs = await make_workshop(other["id"])
    await log_in_as_organiser(client, event["id"])

    form = f"/staff/events/{event['id']}/workshops/new"
    assert (await post_form(client, form, form, workshop_fields(event, table_count="1"))).status_code == 303
    workshop_id = (await Workshop.select(Workshop.id).where(Workshop.event == event["id"]).first())["id"]
    edit = f"/staff/workshops/{workshop_id}/edit"
    changed = await post_form(client, edit, edit, workshop_fields(event, title_en="Equal pay now", table_count="1"))
    assert changed.status_code == 303, changed.text[:2000]
    remove = f"/staff/workshops/{workshop_id}/remove"
    assert (await post_form(client, remove, remove, {"confirm": "1"})).status_code == 303

    await login_as(other_client, "admin")  # an administrator reads the log (on every team, as admins are)
    edit_theirs = f"/staff/workshops/{theirs}/edit"
    changed = await post_form(other_client, edit_theirs, edit_theirs, workshop_fields(other, table_count="0"))
    assert changed.status_code == 303, changed.text[:2000]

    subject = f"event:{event['id']}/workshop:{workshop_id}"
    subjects = {(row["action"], row["subject"]) for row in await AuditEntry.select(AuditEntry.action,
                                                                                   AuditEntry.subject)}
    assert {("workshop.create", subject), ("workshop.edit", subject), ("workshop.remove", subject),
            ("workshop.edit", f"event:{other['id']}/workshop:{theirs}")} <= subjects

    # Filtering by the event finds its workshops' changes, not another event's.
    by_event = await other_client.get("/staff/audit", params={"subject": f"event:{event['id']}"})
    assert by_event.status_code == 200
    assert shown(by_event) == {("workshop.create", subject), ("workshop.edit", subject),
                               ("workshop.remove", subject)}
    # Filtering by the workshop alone finds it under its event too, with a link to the workshop's page.
    by_workshop = await other_client.get("/staff/audit", params={"subject": f"workshop:{theirs}"})
    assert shown(by_workshop) == {("workshop.edit", f"event:{other['id']}/workshop:{theirs}")}
    assert f'href="/staff/workshops/{theirs}/edit"' in by_workshop.text
