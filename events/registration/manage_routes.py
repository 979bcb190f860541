"""The manage link (``/manage/{token}``): one's own registration, its ticket and calendar file, changing,
cancelling, and the data rights (download, delete).

The token is the only key: the lookup is by its hash, every page answers ``Cache-Control: no-store``, and
nothing here links the token anywhere but to these pages. Writes go through ``events.registration.changes``,
``cancellation`` and ``rights``; whether a registration can still be changed is ``events.rules.changeable``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events import loaders, rules
from events.contracts import (
    ACCESS_NEEDS,
    CatalogueDependency,
    RegistrationError,
    SeatPlan,
    SeatPlanDependency,
    WorkshopCatalogue,
)
from events.labels import access_need_label, category_label, registration_status_label
from events.messaging import calendar, tickets
from events.registration import cancellation, changes, forms, rights
from events.registration.forms import RegistrationSetup
from events.registration.routes import FLASH_KEY, NO_STORE, session_pop, session_put
from events.tables import RegistrationStatus
from samrad.core.clock import now_utc
from samrad.core.i18n import N_, _, format_datetime

MANAGE_MESSAGES = {
    "changed": N_("Your changes are saved. We have sent you an email with the details."),
    "cancelled": N_("Your registration is cancelled. We have sent you an email to confirm it."),
}


async def _registration_or_404(token: str) -> dict[str, Any]:
    """The registration behind a manage link. The lookup is by the token's hash, so its timing says nothing
    about how close a guess was."""
    registration = await changes.registration_for_token(token)
    if registration is None:
        raise NotFoundException()
    return registration


def _manage_template(template: str, context: dict[str, Any], *, status_code: int = 200) -> Template:
    return Template(template_name=template, context=context, status_code=status_code, headers=NO_STORE)


async def _manage_context(request: Request, token: str, registration: dict[str, Any], seat_plan: SeatPlan) -> dict:
    event = await loaders.event_with_venue(registration["event"]["id"])
    assert event is not None
    position = None
    if registration["status"] == RegistrationStatus.waitlisted:
        position = await rules.waitlist_position(event["id"], registration["id"])
    dropin = rules.is_dropin(event)
    return {
        "token": token,
        "base": f"/manage/{token}",
        "registration": registration,
        "event": event,
        "venue": loaders.venue_of(event),
        "occurrence": registration["occurrence"],
        "dropin": dropin,
        "active": registration["status"] != RegistrationStatus.cancelled,
        "changeable": rules.changeable(registration, now_utc()),
        "has_ticket": registration["status"] == RegistrationStatus.confirmed and not dropin,
        "waitlist_position": position,
        "seat_lines": await seat_plan.describe(registration["id"]),
        "status_label": registration_status_label(registration["status"]),
        "category_label": category_label(registration["category"]),
        "access_need_label": access_need_label,
        "flash": _flash(request),
    }


def _flash(request: Request) -> str | None:
    key = session_pop(request, FLASH_KEY)
    return _(MANAGE_MESSAGES[key]) if key in MANAGE_MESSAGES else None


@get("/manage/{token:str}", name="manage", include_in_schema=False)
async def manage(request: Request, token: FromPath[str], seat_plan: SeatPlanDependency) -> Template:
    """One's own registration: status, ticket, calendar file, and the ways to change, cancel or delete it."""
    registration = await _registration_or_404(token)
    return _manage_template("manage/show.html", await _manage_context(request, token, registration, seat_plan))


@get("/manage/{token:str}/ticket.png", name="manage_ticket_png", include_in_schema=False)
async def manage_ticket_png(token: FromPath[str]) -> Response[bytes]:
    code = await _ticket_code(token)
    return Response(content=tickets.qr_png(code), media_type="image/png", headers=NO_STORE)


@get("/manage/{token:str}/ticket.svg", name="manage_ticket_svg", include_in_schema=False)
async def manage_ticket_svg(token: FromPath[str]) -> Response[bytes]:
    code = await _ticket_code(token)
    return Response(content=tickets.qr_svg(code), media_type="image/svg+xml", headers=NO_STORE)


async def _ticket_code(token: str) -> str:
    """Only a confirmed place at a registration event has a ticket to show at the door."""
    registration = await _registration_or_404(token)
    event = registration["event"]
    if registration["status"] != RegistrationStatus.confirmed or rules.is_dropin(event):
        raise NotFoundException()
    return registration["ticket_code"]


@get("/manage/{token:str}/calendar.ics", name="manage_calendar", include_in_schema=False)
async def manage_calendar(token: FromPath[str]) -> Response[bytes]:
    """The same invitation the emails carry (same UID), for people who deleted the email. Only while the
    person holds a place: nothing on the waiting list."""
    registration = await _registration_or_404(token)
    body = None
    if registration["status"] == RegistrationStatus.confirmed:
        body = await calendar.registration_ics(registration["id"])
    if body is None:
        raise NotFoundException()
    return Response(
        content=body,
        media_type=calendar.CALENDAR_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{registration["event"]["slug"]}.ics"', **NO_STORE},
    )


# changing


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


async def _change_setup(registration: Mapping[str, Any], catalogue: WorkshopCatalogue) -> RegistrationSetup:
    setup = await forms.load_registration_setup(registration["event"]["slug"], catalogue)
    if setup is None:
        raise NotFoundException()
    return setup


async def _change_template(
    request: Request,
    token: str,
    registration: dict[str, Any],
    seat_plan: SeatPlan,
    setup: RegistrationSetup,
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Template:
    context = await _manage_context(request, token, registration, seat_plan)
    context.update(
        setup=setup,
        form=setup.context,
        workshops=setup.workshops,
        values=values if values is not None else _change_values(registration, context["seat_lines"]),
        errors=errors or {},
        problem=problem,
        anchors=forms.error_anchors(setup),
        field_order=forms.FIELD_ORDER,
        access_needs=[(need, access_need_label(need)) for need in ACCESS_NEEDS],
    )
    return _manage_template("manage/change.html", context, status_code=status_code)


@get("/manage/{token:str}/change", name="manage_change_form", include_in_schema=False)
async def manage_change_form(
    request: Request, token: FromPath[str], seat_plan: SeatPlanDependency, workshop_catalogue: CatalogueDependency
) -> Template:
    registration = await _registration_or_404(token)
    setup = await _change_setup(registration, workshop_catalogue)
    return await _change_template(request, token, registration, seat_plan, setup)


@post("/manage/{token:str}/change", name="manage_change", include_in_schema=False, status_code=303)
async def manage_change(
    request: Request, token: FromPath[str], seat_plan: SeatPlanDependency, workshop_catalogue: CatalogueDependency
) -> Template | Redirect:
    registration = await _registration_or_404(token)
    setup = await _change_setup(registration, workshop_catalogue)
    fields = forms.form_fields(await request.form())
    parsed = forms.parse_change(fields, setup.context)
    if isinstance(parsed, dict):
        return await _change_template(
            request, token, registration, seat_plan, setup, values=fields, errors=parsed, status_code=422
        )
    try:
        await changes.change(token, parsed, seat_plan)
    except RegistrationError as error:
        field = forms.field_of(error)
        return await _change_template(
            request, token, registration, seat_plan, setup, values=fields,
            errors={field: error.message} if field else None, problem=None if field else error.message,
            status_code=error.status_code,
        )
    session_put(request, FLASH_KEY, "changed")
    return Redirect(path=f"/manage/{token}", status_code=303)


# cancelling


@get("/manage/{token:str}/cancel", name="manage_cancel_form", include_in_schema=False)
async def manage_cancel_form(request: Request, token: FromPath[str], seat_plan: SeatPlanDependency) -> Template:
    registration = await _registration_or_404(token)
    context = await _manage_context(request, token, registration, seat_plan)
    return _manage_template("manage/cancel.html", context)


@post("/manage/{token:str}/cancel", name="manage_cancel", include_in_schema=False, status_code=303)
async def manage_cancel(
    token: FromPath[str], request: Request, seat_plan: SeatPlanDependency
) -> Template | Redirect:
    registration = await _registration_or_404(token)
    if not rules.changeable(registration, now_utc()) and registration["status"] != RegistrationStatus.cancelled:
        context = await _manage_context(request, token, registration, seat_plan)
        return _manage_template("manage/cancel.html", context, status_code=409)
    await cancellation.cancel(token, seat_plan)
    session_put(request, FLASH_KEY, "cancelled")
    return Redirect(path=f"/manage/{token}", status_code=303)


# your data


@get("/manage/{token:str}/data", name="manage_data", include_in_schema=False)
async def manage_data(request: Request, token: FromPath[str], seat_plan: SeatPlanDependency) -> Template:
    """Everything stored about the person, readable, with a download and a delete button."""
    registration = await _registration_or_404(token)
    context = await _manage_context(request, token, registration, seat_plan)
    context["data"] = await rights.personal_data(token, seat_plan)
    zone = context["event"]["timezone"]
    context["local_time"] = lambda value: format_datetime(datetime.fromisoformat(value), zone) if value else "–"
    return _manage_template("manage/data.html", context)


@get("/manage/{token:str}/data.json", name="manage_data_download", include_in_schema=False)
async def manage_data_download(token: FromPath[str], seat_plan: SeatPlanDependency) -> Response[bytes]:
    await _registration_or_404(token)
    data = await rights.personal_data(token, seat_plan)
    body = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return Response(
        content=body,
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-registration.json"', **NO_STORE},
    )


@get("/manage/{token:str}/delete", name="manage_delete_form", include_in_schema=False)
async def manage_delete_form(request: Request, token: FromPath[str], seat_plan: SeatPlanDependency) -> Template:
    registration = await _registration_or_404(token)
    context = await _manage_context(request, token, registration, seat_plan)
    return _manage_template("manage/delete.html", context)


@post("/manage/{token:str}/delete", name="manage_delete", include_in_schema=False, status_code=303)
async def manage_delete(token: FromPath[str], seat_plan: SeatPlanDependency) -> Redirect:
    """"Delete my data": cancel and anonymise now. The link stops working, so the answer is a page of its own."""
    await _registration_or_404(token)
    await rights.erase(token, seat_plan)
    return Redirect(path="/manage/deleted", status_code=303)


@get("/manage/deleted", name="manage_deleted", include_in_schema=False)
async def manage_deleted() -> Template:
    return Template(template_name="manage/deleted.html", headers=NO_STORE)


route_handlers: list = [
    manage_deleted, manage, manage_ticket_png, manage_ticket_svg, manage_calendar,
    manage_change_form, manage_change, manage_cancel_form, manage_cancel,
    manage_data, manage_data_download, manage_delete_form, manage_delete,
]
