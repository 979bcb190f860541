"""``samrad check``: the demo data holds every invariant; each counter broken on purpose is reported, by id.

Loading the demo takes seconds, so one test loads it, checks it, breaks it and checks again.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys

from events.tables import Event, EventAudience, Registration
from samrad.areas import AREAS
from samrad.core import db
from samrad.core.invariants import KERNEL_INVARIANTS, print_report, run_invariants
from samrad.core.settings import ROOT
from samrad.core.tables import OutboxMessage
from samrad.demo import load_demo
from workshops.tables import Workshop, WorkshopSeat

INVARIANTS = [*KERNEL_INVARIANTS, *(invariant for area in AREAS for invariant in area.invariants)]


async def _report() -> tuple[dict[str, list[str]], str]:
    report = await run_invariants(INVARIANTS)
    out = io.StringIO()
    print_report(report, out)
    return {invariant.name: result.mismatches for invariant, result in report.results}, out.getvalue()


async def _first(table, *where):
    query = table.select(table.id)
    for condition in where:
        query = query.where(condition)
    return (await query.order_by(table.id).first())["id"]


async def test_the_demo_holds_and_each_broken_counter_is_reported(capsys):
    assert await load_demo(only_if_empty=False) == 0
    capsys.readouterr()
    found, text = await _report()
    assert all(mismatches == [] for mismatches in found.values()), text
    assert text.rstrip().endswith(f"all {len(INVARIANTS)} invariants hold")

    # One thing broken per invariant, as a crash between two statements (or a hand-made UPDATE) would.
    required = await _first(Event, Event.registration_mode == "required", Event.capacity.is_not_null(),
                            Event.booked > 0)
    waiting_event = (await Registration.select(Registration.event).where(Registration.status == "waitlisted")
                     .order_by(Registration.id).first())["event"]
    quota = await _first(EventAudience, EventAudience.quota.is_not_null())
    workshop = await _first(Workshop)
    confirmed = await Registration.select(Registration.id, Registration.event, Registration.email).where(
        (Registration.status == "confirmed") & (Registration.event == required)).order_by(Registration.id)
    seat = await WorkshopSeat.select(WorkshopSeat.id).where(
        (WorkshopSeat.status == "confirmed")
        & WorkshopSeat.registration.is_in(
            [row["id"] for row in await Registration.select(Registration.id).where(Registration.status == "confirmed")]
        )
    ).order_by(WorkshopSeat.id).first()
    pending = await _first(OutboxMessage, OutboxMessage.status == "pending")
    async with db.atomic():
        await Event.update({Event.booked: Event.booked + 1}).where(Event.id == required)
        await Event.update({Event.capacity: Event.capacity + 5}).where(Event.id == waiting_event)
        await EventAudience.update({EventAudience.booked: EventAudience.booked + 1}).where(EventAudience.id == quota)
        await Workshop.update({Workshop.booked: Workshop.booked + 2}).where(Workshop.id == workshop)
        await Registration.update({Registration.email: confirmed[0]["email"].upper()}).where(
            Registration.id == confirmed[1]["id"])
        await WorkshopSeat.update({WorkshopSeat.status: "wished"}).where(WorkshopSeat.id == seat["id"])
        await OutboxMessage.update({OutboxMessage.sent_at: OutboxMessage.created_at}).where(OutboxMessage.id == pending)

    found, text = await _report()
    assert any(f"event {required}: booked" in line for line in found["event seats"]), text
    assert any(f"event_audience {quota} " in line for line in found["quotas"]), text
    assert any(f"event {waiting_event} " in line and "although a seat" in line for line in found["waiting lists"]), text
    assert any(f"event {required}: 2 active registrations share one address" in line
               for line in found["registrations"]), text
    assert any(f"workshop {workshop} " in line for line in found["workshop seats"]), text
    assert any(f"workshop_seat {seat['id']}: wished for a confirmed registration" in line
               for line in found["workshop waiting lists"]), text
    assert found["outbox"] == [f"outbox_message {pending}: pending but with a time sent (sent and not sent at once)"]
    # Ids only: no name or address of anyone in the report.
    assert "@" not in text
    emails = [row["email"] for row in await Registration.select(Registration.email)]
    assert not any(email in text for email in emails if email)

    # The command: exit 1 and the same report.
    command = subprocess.run([sys.executable, "-m", "samrad", "check"], cwd=ROOT, env=os.environ,
                             capture_output=True, text=True, timeout=120)
    assert command.returncode == 1, command.stdout + command.stderr
    assert "MISMATCH  event seats" in command.stdout
    assert command.stdout.rstrip().endswith(f"mismatch(es) in {len(INVARIANTS)} of {len(INVARIANTS)} invariants")
