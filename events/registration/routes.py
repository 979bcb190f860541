"""Public registration pages: the registration form (or a drop-in's reminder sign-up) and its confirmation.

Every handler reads like its page: parse, load, call a service, render. The form rules live in
``events.registration.forms``, writes in ``events.registration.booking``. Workshop seats arrive through the
``seat_plan`` dependency (the SeatPlan protocol) and the workshop list through ``workshop_catalogue``, both
provided by the app, so this module never imports the workshops area.

Secrets stay out of URLs people share: after registering, the confirmation page gets the manage link from
the server-side session (read once). The session helpers here serve the manage pages too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events import loaders, rules
from events.contracts import (
    ACCESS_NEEDS,
    CatalogueDependency,
    RegistrationError,
    RegistrationResult,
    SeatPlanDependency,
    WorkshopCatalogue,
)
from events.labels import access_need_label, kind_label
from events.registration import booking, forms
from events.registration.forms import RegistrationSetup
from events.tables import RegistrationStatus
from samrad.core.security import client_address

log = logging.getLogger("samrad.public")


NO_STORE = {"Cache-Control": "no-store"}
FLASH_KEY = "flash"
RESULT_KEY = "registration_result"


# --- registration -----------------------------------------------------------------------------------------

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
            "anchors": forms.error_anchors(setup),
            "field_order": forms.FIELD_ORDER,
            "access_needs": [(need, access_need_label(need)) for need in ACCESS_NEEDS],
            "unit_categories": forms.UNIT_CATEGORIES,
            "organisation_categories": forms.ORGANISATION_CATEGORIES,
            "kind_label": kind_label,
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
        prepared = booking.Prepared(setup.event, setup.page.audiences, setup.page.dates)
        result = await booking.register(setup.event["id"], parsed, seat_plan, prepared=prepared)
    except RegistrationError as error:
        field = forms.field_of(error)
        return _register_template(
            setup, values=fields, errors={field: error.message} if field else None,
            problem=None if field else error.message, status_code=error.status_code,
        )
    _remember_result(request, setup, result)
    return Redirect(path=f"/events/{slug}/registered", status_code=303)


def _remember_result(request: Request, setup: RegistrationSetup, result: RegistrationResult | None) -> None:
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
    session_put(request, RESULT_KEY, outcome)


@get("/events/{slug:str}/registered", name="register_done", include_in_schema=False)
async def register_done(request: Request, slug: FromPath[str]) -> Template:
    """The confirmation after POST-redirect-GET. Reloading it later shows the neutral version."""
    event = await loaders.published_event(slug)
    if event is None:
        raise NotFoundException()
    outcome = session_pop(request, RESULT_KEY)
    if not outcome or outcome.get("slug") != slug:
        outcome = {"slug": slug, "status": "sent"}
    position = None
    if outcome["status"] == RegistrationStatus.waitlisted:
        position = await rules.waitlist_position(event["id"], outcome["registration_id"])
    token = outcome.get("manage_token")
    return Template(
        template_name="events/registered.html",
        context={
            "event": event,
            "outcome": outcome,
            "waitlist_position": position,
            "manage_url": f"{request.app.state.settings.base_url}/manage/{token}" if token else None,
            "manage_path": f"/manage/{token}" if token else None,
            "dropin": rules.is_dropin(event),
        },
        headers=NO_STORE,
    )


# --- session helpers --------------------------------------------------------------------------------------

def _session(request: Request) -> dict[str, Any]:
    value = request.scope.get("session")
    return dict(value) if isinstance(value, dict) else {}


def session_put(request: Request, key: str, value: Any) -> None:
    session = _session(request)
    session[key] = value
    request.set_session(session)


def session_pop(request: Request, key: str) -> Any:
    session = _session(request)
    if key not in session:
        return None
    value = session.pop(key)
    request.set_session(session)
    return value


route_handlers: list = [register_form, register_submit, register_done]
