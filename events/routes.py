"""Public pages: the event listing, the event page, calendar files, registration and the manage link.

Every handler reads like its page: parse, load, call a service, render. Reads live in ``events.queries``,
the form rules in ``events.forms``, writes in ``events.services``. Workshop seats arrive through the
``seat_plan`` dependency (the SeatPlan protocol) and the workshop list through ``workshop_catalogue``, both
provided by the app, so this module never imports the workshops area.

Secrets stay out of URLs people share: after registering, the confirmation page gets the manage link from
the server-side session (read once), and every manage page answers ``Cache-Control: no-store``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter, SkipValidation
from litestar.response import Redirect, Template

from events import calendar, forms, queries, services, tickets
from events.forms import RegistrationSetup, WorkshopCatalogue
from events.queries import ListingFilter
from events.services import RegistrationError, SeatPlan
from events.tables import EventStatus, RegistrationMode, RegistrationStatus
from samrad.core.i18n import N_, _, format_datetime, pick
from samrad.core.security import client_address

log = logging.getLogger("samrad.public")

# Injected by the app (samrad.app.area_dependencies); protocols and callables are not validated.
SeatPlanDependency = SkipValidation[NamedDependency[SeatPlan]]
CatalogueDependency = SkipValidation[NamedDependency[WorkshopCatalogue]]

NO_STORE = {"Cache-Control": "no-store"}
FLASH_KEY = "flash"
RESULT_KEY = "registration_result"

# --- listing ----------------------------------------------------------------------------------------------


@get("/", name="event_list", include_in_schema=False)
async def event_list(
    kind: Annotated[str | None, QueryParameter()] = None,
    date_from: Annotated[str | None, QueryParameter(name="from")] = None,
    date_to: Annotated[str | None, QueryParameter(name="to")] = None,
    page: Annotated[str | None, QueryParameter()] = None,
) -> Template:
    """Upcoming dates of published events, filtered by kind and dates, twenty to a page."""
    filters, errors = ListingFilter.parse(kind, date_from, date_to)
    result = await queries.upcoming_dates(filters, page=_page_number(page))

    def page_url(number: int) -> str:
        params = filters.query_params()
        if number > 1:
            params["page"] = str(number)
        return "/?" + urlencode(params) if params else "/"

    return Template(
        template_name="events/list.html",
        context={
            "page": result,
            "filters": filters,
            "raw_filters": {"kind": kind or "", "from": date_from or "", "to": date_to or ""},
            "errors": errors,
            "kinds": [(value, queries.kind_label(value)) for value in queries.KIND_LABELS],
            "page_url": page_url,
            "kind_label": queries.kind_label,
        },
    )


def _page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


# --- event page -------------------------------------------------------------------------------------------


@get("/events/{slug:str}", name="event_detail", include_in_schema=False)
async def event_detail(slug: FromPath[str], workshop_catalogue: CatalogueDependency) -> Template:
    """Everything someone needs to decide to come: when, where, how accessible, who may register, seats."""
    page = await queries.event_page(slug)
    if page is None:
        raise NotFoundException()
    page.workshops = await workshop_catalogue(page.event["id"])
    return Template(
        template_name="events/detail.html",
        context={"page": page, "event": page.event, "kind_label": queries.kind_label},
    )


# --- calendar files ---------------------------------------------------------------------------------------

CALENDAR_MEDIA_TYPE = "text/calendar; charset=utf-8"
# Subscribed calendars poll; a few minutes of caching keeps a popular feed cheap without going stale.
FEED_CACHE = "public, max-age=300"


def _calendar_response(body: bytes, filename: str, *, attachment: bool) -> Response[bytes]:
    disposition = "attachment" if attachment else "inline"
    return Response(
        content=body,
        media_type=CALENDAR_MEDIA_TYPE,
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"', "Cache-Control": FEED_CACHE},
    )


async def _calendar_event(slug: str) -> dict:
    event = await queries.published_event(slug)
    loaded = await calendar.load_event_for_calendar(event["id"]) if event else None
    if loaded is None:
        raise NotFoundException()
    return loaded


@get("/calendar.ics", name="feed_all", include_in_schema=False)
async def feed_all(request: Request) -> Response[bytes]:
    """Every public event as one subscribable feed (METHOD:PUBLISH)."""
    events = await calendar.load_events_for_calendar(await queries.feed_event_ids())
    url = f"{request.app.state.settings.base_url}/calendar.ics"
    return _calendar_response(calendar.feed_ics(events, url=url), "events.ics", attachment=False)


@get("/events/{slug:str}/calendar.ics", name="event_calendar", include_in_schema=False)
async def event_calendar(slug: FromPath[str]) -> Response[bytes]:
    """"Add to calendar": the event (or the whole series) as a file to open."""
    event = await _calendar_event(slug)
    return _calendar_response(calendar.event_ics(event), f"{event['slug']}.ics", attachment=True)


@get("/events/{slug:str}/feed.ics", name="event_feed", include_in_schema=False)
async def event_feed(request: Request, slug: FromPath[str]) -> Response[bytes]:
    """A series as a feed: subscribers see new, moved and cancelled dates without downloading again."""
    event = await _calendar_event(slug)
    url = f"{request.app.state.settings.base_url}/events/{event['slug']}/feed.ics"
    name = _("%(title)s – all dates", title=pick(event["title"]))
    return _calendar_response(calendar.feed_ics([event], name=name, url=url), f"{event['slug']}.ics", attachment=False)


# --- registration -----------------------------------------------------------------------------------------

# The order errors are listed in the summary: the order of the fields on the page.
FIELD_ORDER = (
    "name", "email", "category", "org_unit_id", "organisation", "occurrence_id", "workshop_ids", "access_needs",
    "access_other", "diet", "pronouns", "follow_up_opt_in", "locale", "consent",
)


def error_anchors(setup: RegistrationSetup) -> dict[str, str]:
    """Where each error in the summary links to: the field, or the first option of a group."""
    anchors = {name: name for name in FIELD_ORDER}
    if setup.context.categories:
        anchors["category"] = f"category-{setup.context.categories[0]}"
    if setup.workshops:
        anchors["workshop_ids"] = f"workshop-{setup.workshops[0]['id']}"
    if setup.open_dates:
        anchors["occurrence_id"] = f"date-{setup.open_dates[0]['id']}"
    anchors["access_needs"] = f"need-{forms.ACCESS_NEEDS[0]}"
    return anchors


def _register_template(
    setup: RegistrationSetup,
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Template:
    return Template(
        template_name="events/register.html",
        context={
            "setup": setup,
            "page": setup.page,
            "event": setup.event,
            "state": setup.page.state,
            "form": setup.context,
            "values": values or _default_values(setup),
            "errors": errors or {},
            "problem": problem,
            "anchors": error_anchors(setup),
            "field_order": FIELD_ORDER,
            "access_needs": [(need, forms.access_need_label(need)) for need in forms.ACCESS_NEEDS],
            "unit_categories": forms.UNIT_CATEGORIES,
            "organisation_categories": forms.ORGANISATION_CATEGORIES,
            "kind_label": queries.kind_label,
        },
        status_code=status_code,
    )


def _default_values(setup: RegistrationSetup) -> dict[str, Any]:
    default = setup.context.default_category
    return {"category": default} if default else {}


async def _setup_or_404(slug: str, catalogue: WorkshopCatalogue | None) -> RegistrationSetup:
    setup = await forms.load_registration_setup(slug, catalogue)
    if setup is None:
        raise NotFoundException()
    return setup


@get("/events/{slug:str}/register", name="register_form", include_in_schema=False)
async def register_form(slug: FromPath[str], workshop_catalogue: CatalogueDependency) -> Template:
    """The registration form (or, for a drop-in event, the optional reminder sign-up)."""
    return _register_template(await _setup_or_404(slug, workshop_catalogue))


@post("/events/{slug:str}/register", name="register_submit", include_in_schema=False, status_code=303)
async def register_submit(
    request: Request, slug: FromPath[str], seat_plan: SeatPlanDependency, workshop_catalogue: CatalogueDependency
) -> Template | Redirect:
    """Register: check the answers, book through the registration service, then show the confirmation."""
    settings = request.app.state.settings
    await request.app.state.rate_limiter.hit("register", client_address(request), settings.registration_rate)
    fields = forms.form_fields(await request.form())
    setup = await _setup_or_404(slug, workshop_catalogue)
    if forms.honeypot_filled(fields):
        log.info("registration form for event %s: honeypot filled, ignored", setup.event["id"])
        _remember_result(request, setup, None)
        return Redirect(path=f"/events/{slug}/registered", status_code=303)
    parsed = forms.parse_registration(fields, setup.context)
    if isinstance(parsed, dict):
        return _register_template(setup, values=fields, errors=parsed, status_code=422)
    try:
        result = await services.register(setup.event["id"], parsed, seat_plan)
    except RegistrationError as error:
        field = _field_of(error)
        return _register_template(
            setup, values=fields, errors={field: error.message} if field else None,
            problem=None if field else error.message, status_code=error.status_code,
        )
    _remember_result(request, setup, result)
    return Redirect(path=f"/events/{slug}/registered", status_code=303)


def _field_of(error: RegistrationError) -> str | None:
    """The form field a refusal is about, if it is about one."""
    return {"category_not_allowed": "category", "unknown_workshop": "workshop_ids"}.get(error.code)


def _remember_result(request: Request, setup: RegistrationSetup, result: services.RegistrationResult | None) -> None:
    """What the confirmation page may show, kept server-side and read once.

    A sensitive event shows the same neutral page whatever happened (new, duplicate, or a bot): whether an
    address is registered must not show. So does a filled honeypot (``result`` None).
    """
    if result is None or setup.event["sensitive"]:
        outcome: dict[str, Any] = {"slug": setup.event["slug"], "status": "sent"}
    else:
        outcome = {
            "slug": setup.event["slug"],
            "status": result.status,
            "registration_id": result.registration_id,
            "ticket_code": result.ticket_code,
            "manage_token": result.manage_token,
        }
    _session_put(request, RESULT_KEY, outcome)


@get("/events/{slug:str}/registered", name="register_done", include_in_schema=False)
async def register_done(request: Request, slug: FromPath[str]) -> Template:
    """The confirmation after POST-redirect-GET. Reloading it later shows the neutral version."""
    event = await queries.published_event(slug)
    if event is None:
        raise NotFoundException()
    outcome = _session_pop(request, RESULT_KEY)
    if not outcome or outcome.get("slug") != slug:
        outcome = {"slug": slug, "status": "sent"}
    position = None
    if outcome["status"] == RegistrationStatus.waitlisted:
        position = await queries.waitlist_position(event["id"], outcome["registration_id"])
    token = outcome.get("manage_token")
    return Template(
        template_name="events/registered.html",
        context={
            "event": event,
            "outcome": outcome,
            "waitlist_position": position,
            "manage_url": f"{request.app.state.settings.base_url}/manage/{token}" if token else None,
            "manage_path": f"/manage/{token}" if token else None,
            "dropin": event["registration_mode"] == RegistrationMode.dropin,
        },
        headers=NO_STORE,
    )


# --- the manage link --------------------------------------------------------------------------------------

MANAGE_MESSAGES = {
    "changed": N_("Your changes are saved. We have sent you an email with the details."),
    "cancelled": N_("Your registration is cancelled. We have sent you an email to confirm it."),
}


async def _registration_or_404(token: str) -> dict[str, Any]:
    """The registration behind a manage link. The lookup is by the token's hash, so its timing says nothing
    about how close a guess was."""
    registration = await services.registration_for_token(token)
    if registration is None:
        raise NotFoundException()
    return registration


def _manage_template(template: str, context: dict[str, Any], *, status_code: int = 200) -> Template:
    return Template(template_name=template, context=context, status_code=status_code, headers=NO_STORE)


async def _manage_context(request: Request, token: str, registration: dict[str, Any], seat_plan: SeatPlan) -> dict:
    event = await queries.event_with_venue(registration["event"]["id"])
    assert event is not None
    position = None
    if registration["status"] == RegistrationStatus.waitlisted:
        position = await queries.waitlist_position(event["id"], registration["id"])
    dropin = event["registration_mode"] == RegistrationMode.dropin
    return {
        "token": token,
        "base": f"/manage/{token}",
        "registration": registration,
        "event": event,
        "venue": queries.venue_of(event),
        "occurrence": registration["occurrence"],
        "dropin": dropin,
        "active": registration["status"] != RegistrationStatus.cancelled,
        "changeable": _changeable(registration),
        "has_ticket": registration["status"] == RegistrationStatus.confirmed and not dropin,
        "waitlist_position": position,
        "seat_lines": await seat_plan.describe(registration["id"]),
        "status_label": queries.registration_status_label(registration["status"]),
        "category_label": queries.category_label(registration["category"]),
        "access_need_label": forms.access_need_label,
        "flash": _flash(request),
    }


def _changeable(registration: Mapping[str, Any]) -> bool:
    """A registration can be changed or cancelled here until its event (or its date) starts."""
    event = registration["event"]
    starts_at = registration["occurrence"]["starts_at"] if registration["occurrence"] else event["starts_at"]
    return (
        registration["status"] != RegistrationStatus.cancelled
        and event["status"] != EventStatus.cancelled
        and queries.now_utc() < starts_at
    )


def _flash(request: Request) -> str | None:
    key = _session_pop(request, FLASH_KEY)
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
    if registration["status"] != RegistrationStatus.confirmed or event["registration_mode"] == RegistrationMode.dropin:
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
        media_type=CALENDAR_MEDIA_TYPE,
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
        anchors=error_anchors(setup),
        field_order=FIELD_ORDER,
        access_needs=[(need, forms.access_need_label(need)) for need in forms.ACCESS_NEEDS],
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
        await services.change(token, parsed, seat_plan)
    except RegistrationError as error:
        field = _field_of(error)
        return await _change_template(
            request, token, registration, seat_plan, setup, values=fields,
            errors={field: error.message} if field else None, problem=None if field else error.message,
            status_code=error.status_code,
        )
    _session_put(request, FLASH_KEY, "changed")
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
    if not _changeable(registration) and registration["status"] != RegistrationStatus.cancelled:
        context = await _manage_context(request, token, registration, seat_plan)
        return _manage_template("manage/cancel.html", context, status_code=409)
    await services.cancel(token, seat_plan)
    _session_put(request, FLASH_KEY, "cancelled")
    return Redirect(path=f"/manage/{token}", status_code=303)


# your data


@get("/manage/{token:str}/data", name="manage_data", include_in_schema=False)
async def manage_data(request: Request, token: FromPath[str], seat_plan: SeatPlanDependency) -> Template:
    """Everything stored about the person, readable, with a download and a delete button."""
    registration = await _registration_or_404(token)
    context = await _manage_context(request, token, registration, seat_plan)
    context["data"] = await services.personal_data(token, seat_plan)
    zone = context["event"]["timezone"]
    context["local_time"] = lambda value: format_datetime(datetime.fromisoformat(value), zone) if value else "–"
    return _manage_template("manage/data.html", context)


@get("/manage/{token:str}/data.json", name="manage_data_download", include_in_schema=False)
async def manage_data_download(token: FromPath[str], seat_plan: SeatPlanDependency) -> Response[bytes]:
    await _registration_or_404(token)
    data = await services.personal_data(token, seat_plan)
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
    await services.erase(token, seat_plan)
    return Redirect(path="/manage/deleted", status_code=303)


@get("/manage/deleted", name="manage_deleted", include_in_schema=False)
async def manage_deleted() -> Template:
    return Template(template_name="manage/deleted.html", headers=NO_STORE)


# --- session helpers --------------------------------------------------------------------------------------


def _session(request: Request) -> dict[str, Any]:
    value = request.scope.get("session")
    return dict(value) if isinstance(value, dict) else {}


def _session_put(request: Request, key: str, value: Any) -> None:
    session = _session(request)
    session[key] = value
    request.set_session(session)


def _session_pop(request: Request, key: str) -> Any:
    session = _session(request)
    if key not in session:
        return None
    value = session.pop(key)
    request.set_session(session)
    return value


route_handlers: list = [
    event_list, event_detail, feed_all, event_calendar, event_feed,
    register_form, register_submit, register_done,
    manage_deleted, manage, manage_ticket_png, manage_ticket_svg, manage_calendar,
    manage_change_form, manage_change, manage_cancel_form, manage_cancel,
    manage_data, manage_data_download, manage_delete_form, manage_delete,
]
