"""The audit log page: who did what to which event or account, and when, filterable; administrators only.

Entries name their subject by id (``event:12``, ``account:3``, ``event:12/registration:40``,
``event:12/workshop:7``), never by a person's name or address, so the page shows no registrant's personal data;
a subject links to its staff page.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from litestar import Request, Router, get
from litestar.params import QueryParameter
from litestar.response import Template

from samrad.core.audit import PAGE_SIZE, AuditFilter, entries
from samrad.core.i18n import _
from samrad.core.inputs import plausible
from samrad.core.security import Action, requires
from samrad.core.staff import staff_page

SUBJECT_PAGES = {
    "event": "/staff/events/{}/edit", "account": "/staff/people/{}",
    "event/registration": "/staff/events/{}/registrations/{}", "event/workshop": "/staff/workshops/{1}/edit",
}


def subject_link(subject: str) -> str | None:
    parts = [part.partition(":") for part in subject.split("/")]
    kinds = "/".join(kind for kind, _colon, _number in parts)
    numbers = [number for _kind, _colon, number in parts]
    if kinds in SUBJECT_PAGES and all(number.isdigit() for number in numbers):
        return SUBJECT_PAGES[kinds].format(*numbers)
    return None


def _date(raw: str | None, name: str, errors: dict[str, str]) -> date | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        day = None
    if day is None or not plausible(day):
        errors[name] = _("Enter a date like 2027-03-04.")
        return None
    return day


@get("/staff/audit", name="staff_audit", guards=[requires(Action.view_audit)])
async def audit_log(
    request: Request,
    actor: Annotated[str | None, QueryParameter()] = None,
    action: Annotated[str | None, QueryParameter()] = None,
    subject: Annotated[str | None, QueryParameter()] = None,
    since: Annotated[str | None, QueryParameter(name="from")] = None,
    until: Annotated[str | None, QueryParameter(name="to")] = None,
    page: Annotated[str | None, QueryParameter()] = None,
) -> Template:
    errors: dict[str, str] = {}
    values = {"actor": (actor or "")[:254].strip(), "action": (action or "")[:60].strip(),
              "subject": (subject or "")[:200].strip(), "from": (since or "")[:10], "to": (until or "")[:10]}
    where = AuditFilter(actor=values["actor"], action=values["action"], subject=values["subject"],
                        since=_date(since, "from", errors), until=_date(until, "to", errors))
    number = int(page) if page and page.isdecimal() and 0 < int(page) < 100_000 else 1
    rows, total = await entries(where, number)
    query = urlencode({key: value for key, value in values.items() if value})
    return await staff_page(
        request, "staff/audit.html", status_code=422 if errors else 200, rows=rows, total=total, page=number,
        pages=max(1, -(-total // PAGE_SIZE)), values=values, errors=errors, subject_link=subject_link,
        page_url=lambda n: f"/staff/audit?{query}&page={n}" if query else f"/staff/audit?page={n}",
    )


router = Router(path="/", route_handlers=[audit_log], include_in_schema=False)
