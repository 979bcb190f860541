"""Report pages: the event report, training coverage (with headcounts per unit and year, and its export) and the
policy dashboard. Printable as they are (print styles in ``static/css/follow_up.css``)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Stream, Template

from events.access import EVENT_IN_PATH
from events.tables import Event
from feedback.follow_up import evaluations, reports
from feedback.follow_up.labels import labels_context
from feedback.follow_up.suppression import fewer_than_label
from samrad.core.clock import now_utc
from samrad.core.exports import download
from samrad.core.i18n import _
from samrad.core.security import Action, load_staff_user, requires
from samrad.core.staff import flash, form_value, staff_page


def _year(request: Request) -> tuple[int, str | None]:
    raw = request.query_params.get("year", "")
    this_year = now_utc().year
    if not raw:
        return this_year, None
    if raw.isdecimal() and 2000 <= int(raw) <= 2100:
        return int(raw), None
    return this_year, _("Enter a year from 2000 to 2100.")


@get("/reports", name="follow_up_reports", guards=[requires(Action.export_feedback)])
async def reports_index(request: Request) -> Template:
    events = await Event.select(Event.id, Event.title, Event.starts_at, Event.timezone, Event.kind).order_by(
        Event.starts_at, ascending=False
    ).output(load_json=True)
    return await staff_page(request, "feedback/follow_up/reports.html", events=events)


@get("/reports/events/{event_id:int}", name="follow_up_event_report",
     guards=[requires(Action.view_registrations, EVENT_IN_PATH)])
async def event_report(request: Request, event_id: FromPath[int]) -> Template:
    event = await Event.select().where(Event.id == event_id).output(load_json=True).first()
    if event is None:
        raise NotFoundException()
    return await staff_page(
        request, "feedback/follow_up/event_report.html", event=event, report=await reports.event_report(event_id),
        evaluation=await evaluations.results(event_id), fewer_than=fewer_than_label(), **labels_context(),
    )


async def _coverage_page(request: Request, year: int, *, errors: dict[str, str] | None = None,
                         values: dict[str, str] | None = None, status_code: int = 200) -> Template:
    data = await reports.coverage(year)
    return await staff_page(
        request, "feedback/follow_up/coverage.html", status_code=status_code, data=data, errors=errors or {},
        values=values or {str(row.unit_id): str(row.headcount) for row in data["rows"]},
        fewer_than=fewer_than_label(),
    )


@get("/reports/coverage", name="follow_up_coverage", guards=[requires(Action.export_feedback)])
async def coverage_page(request: Request) -> Template:
    year, error = _year(request)
    return await _coverage_page(request, year, errors={"year": error} if error else None,
                                status_code=422 if error else 200)


@get("/reports/coverage/export/{export_format:str}", name="follow_up_coverage_export",
     guards=[requires(Action.export_feedback)])
async def coverage_export(request: Request, export_format: FromPath[str]) -> Stream:
    """``csv-semicolon``, ``csv-comma`` or ``xlsx``: one row per unit, suppressed like the page."""
    year, error = _year(request)
    if error or export_format not in ("csv-semicolon", "csv-comma", "xlsx"):
        raise NotFoundException()
    data = await reports.coverage(year)
    header = [_("Unit"), _("Headcount"), _("Attended"), _("Coverage"), _("Target"), _("Below target")]
    rows: list[list[Any]] = [
        [row.unit, row.headcount, fewer_than_label() if row.attended is None else row.attended,
         "" if row.percent is None else round(row.percent * 100, 1), "" if row.target_percent is None
         else row.target_percent, _("yes") if row.below_target else ""]
        for row in data["rows"]
    ]
    stem = _("training-coverage")
    return download(export_format, f"{stem}_{year}", header, rows, sheet_title=str(year))


@post("/reports/coverage/headcounts", name="follow_up_headcounts", status_code=303,
      guards=[requires(Action.export_feedback)])
async def save_headcounts(request: Request) -> Template | Redirect:
    form = await request.form()
    raw_year = form_value(form, "year", 6)
    if not (raw_year.isdecimal() and 2000 <= int(raw_year) <= 2100):
        return await _coverage_page(request, now_utc().year, errors={"year": _("Enter a year from 2000 to 2100.")},
                                    status_code=422)
    year = int(raw_year)
    values: dict[int, int] = {}
    errors: dict[str, str] = {}
    submitted: dict[str, str] = {}
    for key in form:
        if not key.startswith("unit-"):
            continue
        unit = key.removeprefix("unit-")
        raw = form_value(form, key, 10).strip()
        submitted[unit] = raw
        if not unit.isdecimal() or not raw.isdecimal() or int(raw) > reports.MAX_HEADCOUNT:
            errors[f"unit-{unit}"] = _("Enter the headcount as a whole number from 0 to %(max)s.",
                                       max=reports.MAX_HEADCOUNT)
        else:
            values[int(unit)] = int(raw)
    if errors or not values:
        return await _coverage_page(request, year, errors=errors or {"year": _("Enter at least one headcount.")},
                                    values=submitted, status_code=422)
    user = await load_staff_user(request)
    try:
        await reports.set_headcounts(year, values, user["email"])
    except ValueError:
        return await _coverage_page(request, year, errors={"year": _("Choose units from the list.")},
                                    values=submitted, status_code=422)
    flash(request, _("The headcounts for %(year)s have been saved.", year=year))
    return Redirect(path=f"/staff/reports/coverage?year={year}", status_code=303)


@get("/reports/policy", name="follow_up_dashboard", guards=[requires(Action.export_feedback)])
async def policy_dashboard(request: Request) -> Template:
    raw = request.query_params.get("policy", "")
    data = await reports.dashboard(int(raw) if raw.isdecimal() and len(raw) < 10 else None, now_utc().date())
    return await staff_page(request, "feedback/follow_up/dashboard.html", data=data, **labels_context())


router = Router(
    path="/staff",
    route_handlers=[reports_index, event_report, coverage_page, coverage_export, save_headcounts, policy_dashboard],
    include_in_schema=False,
)
route_handlers = [router]
