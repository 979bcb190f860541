"""Organiser pages for an event's participants: the list, one registration, phone-ins, group emails, exports,
badges, the door list and attendance.

Every route names its permission and its event (``requires(Action…, subject=EVENT_IN_PATH)``): reading needs
``view_registrations``, changing ``manage_registrations``. Handlers parse, check, call a service and render;
forms are CSRF-protected and answer 303 (or the form again with its errors and 422).

Sensitive events (an LGBTQ café) show counts only. An organiser who must open one registration (the person
phoned to change it) finds it by its exact ticket code or email address; that opening is audited and lasts for
the session.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, SkipValidation
from litestar.response import Redirect, Stream, Template

from events import loaders
from events.access import EVENT_IN_PATH
from events.attendees import delivery, exports, forms, messaging, printing, queries, services
from events.attendees.queries import ListFilter, WorkshopRoster
from events.attendees.services import AttendeeError
from events.contracts import ACCESS_NEEDS, CatalogueDependency, RegistrationError, SeatPlanDependency
from events.labels import STATUS_FILTER_LABELS, access_need_label, category_label, staff_labels
from events.management.registrations import counts_by_category, counts_by_event
from events.management.routes import actor, event_or_404, promoted_message
from events.registration import cancellation, changes
from events.registration import forms as registration_forms
from events.tables import AudienceCategory
from samrad.core import exports as spreadsheet
from samrad.core.i18n import N_, _, ngettext
from samrad.core.security import Action, requires
from samrad.core.settings import LOCALES
from samrad.core.staff import flash, staff_page

RosterDependency = SkipValidation[NamedDependency[WorkshopRoster]]
OPENED_KEY = "opened_registrations"  # ids of sensitive registrations opened on purpose in this session
MAX_OPENED = 20

VIEW = [requires(Action.view_registrations, subject=EVENT_IN_PATH)]
MANAGE = [requires(Action.manage_registrations, subject=EVENT_IN_PATH)]

NEEDS_FILTER_LABELS = {"any": N_("Any access need"), "diet": N_("Food and allergies given")}
CHECKED_IN_LABELS = {"yes": N_("Checked in"), "no": N_("Not checked in")}
SEAT_LABELS = {
    "confirmed": N_("has a seat"), "waitlisted": N_("on the waiting list"),
    "wished": N_("chosen: booked if the person gets a seat"),
}
SORT_LABELS = {
    "name": N_("Name"), "registered": N_("Registered"), "status": N_("Status"), "category": N_("Group"),
    "unit": N_("Unit or organisation"), "checked_in": N_("Checked in"),
}


def _base(event_id: int) -> str:
    return f"/staff/events/{event_id}/registrations"


def _filter(request: Request) -> ListFilter:
    list_filter, _errors = queries.parse_filter(dict(request.query_params))
    return list_filter


def _filter_from_form(form: Mapping[str, Any]) -> ListFilter:
    list_filter, _errors = queries.parse_filter({key: form.get(key) for key in queries.ListFilter().__dict__})
    return list_filter


def _labels() -> dict[str, Any]:
    return {
        **staff_labels(),
        "status_filters": [(key, _(label)) for key, label in STATUS_FILTER_LABELS.items()] + [("all", _("Everyone"))],
        "categories": [c.value for c in AudienceCategory],
        "needs_filters": [("any", _(NEEDS_FILTER_LABELS["any"]))]
        + [(need, access_need_label(need)) for need in ACCESS_NEEDS]
        + [("diet", _(NEEDS_FILTER_LABELS["diet"]))],
        "checked_in_filters": [(key, _(label)) for key, label in CHECKED_IN_LABELS.items()],
        "sort_labels": {key: _(label) for key, label in SORT_LABELS.items()},
    }


async def _workshops(event: Mapping[str, Any], catalogue: Any) -> list[dict[str, Any]]:
    return await catalogue(event["id"]) if catalogue is not None and not event["dropin"] else []


# --- the list -----------------------------------------------------------------------------------------------

@get("/events/{event_id:int}/registrations", name="staff_registrations", guards=VIEW)
async def participant_list(
    request: Request, event_id: FromPath[int], workshop_catalogue: CatalogueDependency,
    workshop_roster: RosterDependency,
) -> Template:
    """Search, filters with counts, sorting and pages; for sensitive events, the counts only."""
    event = await event_or_404(event_id)
    list_filter = _filter(request)
    context: dict[str, Any] = {
        "event": event,
        "f": list_filter,
        "base": _base(event_id),
        "counts": (await counts_by_event([event_id]))[event_id],
        "category_counts": await counts_by_category(event),
        "undelivered": await delivery.undelivered(event_id),
        **_labels(),
    }
    if event["sensitive"]:
        context["facets"] = await queries.sensitive_counts(event, list_filter)
        return await staff_page(request, "events/attendees/sensitive.html", errors={}, lookup="", **context)
    workshops = await _workshops(event, workshop_catalogue)
    found = await queries.participant_list(event, list_filter, workshop_roster)
    return await staff_page(
        request, "events/attendees/list.html", listing=found.page, facets=found.facets, everyone=found.everyone,
        workshops=workshops, titles=exports.workshop_titles(workshops),
        units=await _units(),
        page_url=lambda number: f"{_base(event_id)}?{list_filter.query(page=number)}#people", **context,
    )


async def _units() -> list[tuple[int, str]]:
    """Units to filter by (the select shows those with registrations in the list, with their counts)."""
    return [(row["id"], row["name"]) for row in await loaders.org_units()]


@post("/events/{event_id:int}/registrations/open", name="attendees_open_sensitive", status_code=303, guards=MANAGE)
async def open_sensitive(request: Request, event_id: FromPath[int]) -> Template | Redirect:
    """A sensitive event: open one registration on purpose, by its exact ticket code or email (audited)."""
    event = await event_or_404(event_id)
    if not event["sensitive"]:
        raise NotFoundException()
    form = await request.form()
    lookup = str(form.get("lookup") or "")[:254]
    errors: dict[str, str] = {}
    if not lookup.strip():
        errors["lookup"] = _("Enter the ticket code or the email address of the registration.")
    elif form.get("purpose") != "1":
        errors["purpose"] = _("Confirm that you open this registration on purpose.")
    registration_id = None
    if not errors:
        registration_id = await services.open_sensitive(event, lookup, await actor(request))
        if registration_id is None:
            errors["lookup"] = _("No registration of this event has that ticket code or email address.")
    if errors:
        return await staff_page(
            request, "events/attendees/sensitive.html", status_code=422, event=event, f=ListFilter(),
            base=_base(event_id), counts=(await counts_by_event([event_id]))[event_id],
            category_counts=await counts_by_category(event),
            facets=await queries.sensitive_counts(event, ListFilter()), errors=errors, lookup=lookup, **_labels(),
        )
    opened = [rid for rid in request.session.get(OPENED_KEY, []) if rid != registration_id][-(MAX_OPENED - 1):]
    request.session[OPENED_KEY] = [*opened, registration_id]
    return Redirect(path=f"{_base(event_id)}/{registration_id}", status_code=303)


def _may_show(request: Request, event: Mapping[str, Any], registration_id: int) -> bool:
    """Sensitive events show a registration only after it was opened on purpose in this session."""
    return not event["sensitive"] or registration_id in request.session.get(OPENED_KEY, [])


# --- one registration -------------------------------------------------------------------------------------

async def _registration_page(
    request: Request, event: dict[str, Any], registration: dict[str, Any], seat_plan: Any, catalogue: Any, *,
    values: dict[str, Any] | None = None, errors: dict[str, str] | None = None, problem: str | None = None,
    status_code: int = 200,
) -> Template:
    setup = await registration_forms.load_registration_setup(event["slug"], catalogue) if event["published"] else None
    seat_lines = await seat_plan.describe(registration["id"]) if seat_plan is not None else []
    history = await services.email_history(registration)
    return await staff_page(
        request, "events/attendees/registration.html", status_code=status_code, event=event,
        registration=registration, setup=setup, form=setup.context if setup else None,
        workshops=setup.workshops if setup else [], zone=event["timezone"], seat_lines=seat_lines,
        values=values if values is not None else _change_values(registration, seat_lines),
        errors=errors or {}, problem=problem, history=history, base=_base(event["id"]),
        anchors=registration_forms.error_anchors(setup) if setup else {}, field_order=registration_forms.FIELD_ORDER,
        access_needs=[(need, access_need_label(need)) for need in ACCESS_NEEDS],
        mail_kind_label=messaging.kind_label, delivery_label=messaging.delivery_label,
        seat_label=lambda status: _(SEAT_LABELS[status]) if status in SEAT_LABELS else status, **staff_labels(),
    )


def _change_values(registration: Mapping[str, Any], seat_lines: list) -> dict[str, Any]:
    return {
        "name": registration["name"],
        "locale": registration["locale"],
        "workshop_ids": [str(line.workshop_id) for line in seat_lines],
        "access_needs": list(registration["access_needs"] or []),
        "access_other": registration["access_other"],
        "diet": registration["diet"],
        "pronouns": registration["pronouns"],
        "follow_up_opt_in": "1" if registration["follow_up_opt_in"] else "",
    }


async def _registration_or_404(request: Request, event: Mapping[str, Any], registration_id: int) -> dict[str, Any]:
    if not _may_show(request, event, registration_id):
        raise NotFoundException()
    try:
        return await services.registration_of_event(event["id"], registration_id)
    except AttendeeError as error:
        raise NotFoundException() from error


@get("/events/{event_id:int}/registrations/{registration_id:int}", name="attendees_registration", guards=VIEW)
async def registration_page(
    request: Request, event_id: FromPath[int], registration_id: FromPath[int], seat_plan: SeatPlanDependency,
    workshop_catalogue: CatalogueDependency,
) -> Template:
    event = await event_or_404(event_id)
    registration = await _registration_or_404(request, event, registration_id)
    return await _registration_page(request, event, registration, seat_plan, workshop_catalogue)


@post("/events/{event_id:int}/registrations/{registration_id:int}", name="attendees_change", status_code=303,
      guards=MANAGE)
async def change_registration(
    request: Request, event_id: FromPath[int], registration_id: FromPath[int], seat_plan: SeatPlanDependency,
    workshop_catalogue: CatalogueDependency,
) -> Template | Redirect:
    """Edit for the person, with the public form's rules; they are told by email."""
    event = await event_or_404(event_id)
    registration = await _registration_or_404(request, event, registration_id)
    setup = await registration_forms.load_registration_setup(event["slug"], workshop_catalogue)
    if setup is None:
        raise NotFoundException()
    fields = registration_forms.form_fields(await request.form())
    parsed = registration_forms.parse_change(fields, setup.context)
    if isinstance(parsed, dict):
        return await _registration_page(request, event, registration, seat_plan, workshop_catalogue,
                                        values=fields, errors=parsed, status_code=422)
    try:
        await changes.change_by_staff(registration_id, parsed, seat_plan, await actor(request))
    except RegistrationError as error:
        field_name = registration_forms.field_of(error)
        return await _registration_page(
            request, event, registration, seat_plan, workshop_catalogue, values=fields,
            errors={field_name: error.message} if field_name else None,
            problem=None if field_name else error.message, status_code=error.status_code,
        )
    flash(request, _("The registration has been changed and the person has been told by email."))
    return Redirect(path=f"{_base(event_id)}/{registration_id}", status_code=303)


@post("/events/{event_id:int}/registrations/{registration_id:int}/cancel", name="staff_cancel_registration",
      status_code=303, guards=MANAGE)
async def cancel_registration(
    request: Request, event_id: FromPath[int], registration_id: FromPath[int], seat_plan: SeatPlanDependency
) -> Redirect:
    """Cancel on someone's behalf (they are told by email); the waiting list moves up."""
    event = await event_or_404(event_id)
    await _registration_or_404(request, event, registration_id)
    try:
        promoted = await cancellation.cancel_by_staff(registration_id, seat_plan, await actor(request))
    except RegistrationError as error:
        raise NotFoundException() from error
    message = _("The registration has been cancelled and the person has been told by email.")
    if promoted:
        message = f"{message} {promoted_message(promoted)}"
    flash(request, message)
    return Redirect(path=f"{_base(event_id)}/{registration_id}", status_code=303)


@post("/events/{event_id:int}/registrations/{registration_id:int}/promote", name="attendees_promote",
      status_code=303, guards=MANAGE)
async def promote_registration(
    request: Request, event_id: FromPath[int], registration_id: FromPath[int], seat_plan: SeatPlanDependency
) -> Redirect:
    """Move someone from the waiting list to a seat by hand (only if a seat and their quota allow)."""
    event = await event_or_404(event_id)
    await _registration_or_404(request, event, registration_id)
    try:
        await services.promote_by_hand(event_id, registration_id, seat_plan, await actor(request))
    except AttendeeError as error:
        flash(request, error.message, "warning")
    else:
        flash(request, _("The person now has a seat and has been told by email."))
    return Redirect(path=f"{_base(event_id)}/{registration_id}", status_code=303)


@post("/events/{event_id:int}/registrations/{registration_id:int}/resend", name="attendees_resend",
      status_code=303, guards=MANAGE)
async def resend_confirmation(
    request: Request, event_id: FromPath[int], registration_id: FromPath[int], seat_plan: SeatPlanDependency
) -> Redirect:
    event = await event_or_404(event_id)
    await _registration_or_404(request, event, registration_id)
    try:
        await services.resend_confirmation(event_id, registration_id, seat_plan, await actor(request))
    except AttendeeError as error:
        flash(request, error.message, "warning")
    else:
        flash(request, _("The confirmation has been sent again, with a new link; the old link no longer works."))
    return Redirect(path=f"{_base(event_id)}/{registration_id}", status_code=303)


# --- someone who phoned in ----------------------------------------------------------------------------------

async def _phone_in_page(
    request: Request, event: dict[str, Any], setup: Any, *, values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None, problem: str | None = None, status_code: int = 200,
) -> Template:
    return await staff_page(
        request, "events/attendees/phone_in.html", status_code=status_code, event=event, setup=setup,
        form=setup.context if setup else None, page=setup.page if setup else None,
        workshops=setup.workshops if setup else [], zone=event["timezone"],
        values=values or {"locale": LOCALES[0]}, errors=errors or {}, problem=problem, base=_base(event["id"]),
        anchors=registration_forms.error_anchors(setup) if setup else {},
        field_order=registration_forms.FIELD_ORDER,
        access_needs=[(need, access_need_label(need)) for need in ACCESS_NEEDS],
        organisation_categories=sorted(registration_forms.ORGANISATION_CATEGORIES), **staff_labels(),
    )


@get("/events/{event_id:int}/registrations/new", name="attendees_phone_in_form", guards=MANAGE)
async def phone_in_form(request: Request, event_id: FromPath[int], workshop_catalogue: CatalogueDependency) -> Template:
    event = await event_or_404(event_id)
    setup = await registration_forms.load_registration_setup(event["slug"], workshop_catalogue)
    return await _phone_in_page(request, event, setup)


@post("/events/{event_id:int}/registrations/new", name="attendees_phone_in", status_code=303, guards=MANAGE)
async def phone_in(
    request: Request, event_id: FromPath[int], seat_plan: SeatPlanDependency, workshop_catalogue: CatalogueDependency,
) -> Template | Redirect:
    """Register someone on their behalf: the public form's rules, the normal confirmation email."""
    event = await event_or_404(event_id)
    setup = await registration_forms.load_registration_setup(event["slug"], workshop_catalogue)
    if setup is None:
        raise NotFoundException()
    fields = registration_forms.form_fields(await request.form())
    parsed = registration_forms.parse_registration(fields, setup.context)
    if isinstance(parsed, dict):
        return await _phone_in_page(request, event, setup, values=fields, errors=parsed, status_code=422)
    try:
        result = await services.register_phone_in(event_id, parsed, seat_plan, await actor(request))
    except RegistrationError as error:
        field_name = registration_forms.field_of(error)
        return await _phone_in_page(
            request, event, setup, values=fields, errors={field_name: error.message} if field_name else None,
            problem=None if field_name else error.message, status_code=error.status_code,
        )
    if result.status == "duplicate":
        flash(request, _("This email address is already registered for this event. The person has been sent a "
                         "new link to their registration."), "warning")
        return Redirect(path=f"{_base(event_id)}/new", status_code=303)
    if result.status == "waitlisted":
        flash(request, _("The event is full: the person is on the waiting list and has been told by email."))
    else:
        flash(request, _("The person is registered and gets the confirmation by email."))
    if event["sensitive"]:
        return Redirect(path=_base(event_id), status_code=303)
    return Redirect(path=f"{_base(event_id)}/{result.registration_id}", status_code=303)


# --- a message to a group -----------------------------------------------------------------------------------

async def _recipients(event: Mapping[str, Any], list_filter: ListFilter, roster: Any) -> list[dict[str, Any]]:
    if event["sensitive"]:
        # Counts only: the group is chosen by status and audience, never by search or a person's answers.
        list_filter = ListFilter(status=list_filter.status, category=list_filter.category)
        rows = await queries.event_registrations(event["id"], None)
        return queries.apply(rows, list_filter)
    return (await queries.participant_list(event, list_filter, roster)).matching


async def _message_page(
    request: Request, event: dict[str, Any], list_filter: ListFilter, roster: Any, catalogue: Any, *,
    template: str = "events/attendees/message.html", values: Mapping[str, Any] | None = None,
    errors: dict[str, str] | None = None, message: messaging.GroupMessage | None = None, status_code: int = 200,
) -> Template:
    recipients = messaging.recipients_of(await _recipients(event, list_filter, roster))
    previews = []
    if message is not None:
        used = messaging.languages_used(message, recipients)
        previews = [
            {"code": code, "subject": message.subjects[code], "paragraphs": message.bodies[code].split("\n\n"),
             "count": used.get(code, 0)}
            for code in message.languages
        ]
    return await staff_page(
        request, template, status_code=status_code, event=event, f=list_filter, base=_base(event["id"]),
        recipients=len(recipients), values=values or {}, errors=errors or {}, previews=previews,
        workshops=[] if event["sensitive"] else await _workshops(event, catalogue),
        language_labels={"da": _("Danish"), "sv": _("Swedish"), "en": _("English")}, **_labels(),
    )


@get("/events/{event_id:int}/messages", name="attendees_message_form", guards=MANAGE)
async def message_form(
    request: Request, event_id: FromPath[int], workshop_roster: RosterDependency,
    workshop_catalogue: CatalogueDependency,
) -> Template:
    event = await event_or_404(event_id)
    return await _message_page(request, event, _filter(request), workshop_roster, workshop_catalogue)


@post("/events/{event_id:int}/messages", name="attendees_message", status_code=303, guards=MANAGE)
async def message_submit(
    request: Request, event_id: FromPath[int], workshop_roster: RosterDependency,
    workshop_catalogue: CatalogueDependency,
) -> Template | Redirect:
    """First the preview (with the number of recipients), then, with ``send``, the emails go to the outbox."""
    event = await event_or_404(event_id)
    form = await request.form()
    fields = {key: form.get(key) for key in form}
    list_filter = _filter_from_form(fields)
    parsed = messaging.parse_message(fields)
    if isinstance(parsed, dict):
        return await _message_page(request, event, list_filter, workshop_roster, workshop_catalogue, values=fields,
                                   errors=parsed, status_code=422)
    recipients = messaging.recipients_of(await _recipients(event, list_filter, workshop_roster))
    expected = str(fields.get("expected") or "")
    if fields.get("send") != "1" or expected != str(len(recipients)) or not recipients:
        # A preview, or the group changed since the preview: show it (again) with the current count.
        changed = fields.get("send") == "1" and expected != str(len(recipients))
        errors = {"expected": _("The group has changed since the preview: check the number and send again.")} \
            if changed else {}
        return await _message_page(request, event, list_filter, workshop_roster, workshop_catalogue,
                                   template="events/attendees/message_preview.html", values=fields, errors=errors,
                                   message=parsed, status_code=409 if changed else 200)
    sent = await messaging.send_group_message(event_id, recipients, parsed, await actor(request))
    flash(request, ngettext("The message is on its way to %(num)s person.",
                            "The message is on its way to %(num)s people.", sent))
    query = list_filter.query(page=1)
    return Redirect(path=_base(event_id) + (f"?{query}" if query else ""), status_code=303)


# --- exports ------------------------------------------------------------------------------------------------

@get("/events/{event_id:int}/export", name="attendees_export_form", guards=VIEW)
async def export_form(request: Request, event_id: FromPath[int], workshop_roster: RosterDependency) -> Template:
    event = await event_or_404(event_id)
    list_filter = _filter(request)
    count = None if event["sensitive"] else len(
        (await queries.participant_list(event, list_filter, workshop_roster)).matching
    )
    return await staff_page(
        request, "events/attendees/export.html", event=event, f=list_filter, base=_base(event_id), count=count,
        columns=[(key, _(label)) for key, label in forms.EXPORT_COLUMNS.items()],
        default_columns=forms.DEFAULT_COLUMNS,
        formats=[(key, _(label)) for key, label in forms.FORMAT_LABELS.items()], errors={}, **_labels(),
    )


def _export_fields(request: Request) -> dict[str, Any]:
    params = request.query_params
    return {"format": params.get("format"), "columns": params.getall("columns", []),
            "with_needs": params.get("with_needs")}


@get("/events/{event_id:int}/export/list", name="attendees_export", guards=VIEW)
async def export_list(
    request: Request, event_id: FromPath[int], workshop_roster: RosterDependency,
    workshop_catalogue: CatalogueDependency,
) -> Stream | Template:
    """Exactly the filtered list, streamed as CSV or XLSX."""
    event = await event_or_404(event_id)
    if event["sensitive"]:
        raise NotFoundException()
    list_filter = _filter(request)
    choice = forms.parse_export(_export_fields(request), sensitive=False)
    if isinstance(choice, dict):
        return await staff_page(
            request, "events/attendees/export.html", status_code=422, event=event, f=list_filter,
            base=_base(event_id), count=None, errors={key: _(value) for key, value in choice.items()},
            columns=[(key, _(label)) for key, label in forms.EXPORT_COLUMNS.items()],
            default_columns=forms.DEFAULT_COLUMNS,
            formats=[(key, _(label)) for key, label in forms.FORMAT_LABELS.items()], **_labels(),
        )
    matching = (await queries.participant_list(event, list_filter, workshop_roster)).matching
    titles = exports.workshop_titles(await _workshops(event, workshop_catalogue))
    totals = exports.needs_totals(matching)
    return spreadsheet.download(
        choice.export_format, f"{event['slug']}-{_('participants')}", exports.header(choice),
        exports.rows(choice, matching, event, titles), sheet_title=_("Participants"),
        extra_sheets=[(_("Needs and diets (counts)"), *totals)],
    )


@get("/events/{event_id:int}/export/needs", name="attendees_export_needs", guards=VIEW)
async def export_needs(request: Request, event_id: FromPath[int]) -> Stream:
    """Access needs and diets of the filtered confirmed participants as counts, never names."""
    event = await event_or_404(event_id)
    export_format = request.query_params.get("format") or "csv-semicolon"
    if export_format not in spreadsheet.FORMATS:
        export_format = "csv-semicolon"
    rows = await queries.event_registrations(event_id, None)
    list_filter = _filter(request)
    matching = queries.apply(rows, ListFilter(status=list_filter.status, category=list_filter.category)
                             if event["sensitive"] else list_filter)
    head, table = exports.needs_totals(matching)
    return spreadsheet.download(export_format, f"{event['slug']}-{_('needs')}", head, table,
                                sheet_title=_("Needs and diets (counts)"))


# --- print --------------------------------------------------------------------------------------------------

@get("/events/{event_id:int}/badges", name="attendees_badges", guards=VIEW)
async def badges(
    request: Request, event_id: FromPath[int], workshop_roster: RosterDependency,
    workshop_catalogue: CatalogueDependency,
) -> Template:
    """Name badges of the filtered confirmed participants, on A4 sheets of a common badge size."""
    event = await event_or_404(event_id)
    if event["sensitive"]:
        raise NotFoundException()
    list_filter = _filter(request)
    size = forms.badge_size(request.query_params.get("size"))
    matching = (await queries.participant_list(event, list_filter, workshop_roster)).matching
    titles = exports.workshop_titles(await _workshops(event, workshop_catalogue))
    return await staff_page(
        request, "events/attendees/badges.html", event=event, f=list_filter, base=_base(event_id), size=size,
        sizes=[(key, _(label)) for key, (label, _count) in forms.BADGE_SIZES.items()],
        sheets=printing.badges(matching, titles, size), **_labels(),
    )


@get("/events/{event_id:int}/door-list", name="attendees_door_list", guards=VIEW)
async def door_list(request: Request, event_id: FromPath[int], workshop_roster: RosterDependency) -> Template:
    """Confirmed participants in alphabetical order with a box to tick at the door."""
    event = await event_or_404(event_id)
    if event["sensitive"]:
        raise NotFoundException()
    list_filter = _filter(request)
    matching = (await queries.participant_list(event, list_filter, workshop_roster)).matching
    return await staff_page(
        request, "events/attendees/door_list.html", event=event, f=list_filter, base=_base(event_id),
        people=printing.door_list(matching), **_labels(),
    )


@get("/events/{event_id:int}/attendance", name="attendees_attendance", guards=VIEW)
async def attendance(request: Request, event_id: FromPath[int]) -> Template:
    """Who came: for the event, per audience and (non-sensitive events) per organisational unit."""
    event = await event_or_404(event_id)
    rows = await queries.event_registrations(event_id, None)
    figures = await printing.attendance(rows, with_units=not event["sensitive"])
    return await staff_page(
        request, "events/attendees/attendance.html", event=event, figures=figures, base=_base(event_id),
        f=ListFilter(), group_name=lambda row: category_label(row.label),
        unit_name=lambda row: row.label or _("No unit given"), **_labels(),
    )


router = Router(
    path="/staff",
    route_handlers=[
        participant_list, open_sensitive, registration_page, change_registration, cancel_registration,
        promote_registration, resend_confirmation, phone_in_form, phone_in, message_form, message_submit,
        export_form, export_list, export_needs, badges, door_list, attendance,
    ],
    include_in_schema=False,
)
route_handlers = [router]
