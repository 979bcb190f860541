"""Evaluation pages: the organiser writes the questions of an event's evaluation (and turns a free-text answer
into input); an attendee answers through the secret link of their invitation, without logging in."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events.access import EVENT_IN_PATH
from events.tables import Event
from feedback.follow_up import evaluations
from feedback.follow_up.evaluations import AlreadyAnswered, EvaluationError
from feedback.follow_up.forms import translations
from samrad.core.i18n import _, current_locale
from samrad.core.security import Action, client_address, load_staff_user, requires
from samrad.core.settings import LOCALES
from samrad.core.staff import flash, form_value, staff_page

ANSWER_RATE = (20, 600)
GUARD = [requires(Action.manage_events, EVENT_IN_PATH)]


async def _event_or_404(event_id: int) -> dict[str, Any]:
    event = await Event.select(Event.id, Event.title, Event.ends_at, Event.timezone).where(
        Event.id == event_id).output(load_json=True).first()
    if event is None:
        raise NotFoundException()
    return event


def _values(evaluation: dict[str, Any] | None) -> dict[str, str]:
    values: dict[str, str] = {}
    if evaluation is None:
        return {"q1_kind": "rating", "q2_kind": "text"}
    for lang, text in (evaluation["intro"] or {}).items():
        values[f"intro_{lang}"] = text
    for index, question in enumerate(evaluation["questions"], start=1):
        values[f"q{index}_kind"] = question["kind"]
        for lang, text in question["label"].items():
            values[f"q{index}_{lang}"] = text
    return values


async def _form_page(request: Request, event: dict[str, Any], *, values: dict[str, str] | None = None,
                     errors: dict[str, str] | None = None, status_code: int = 200) -> Template:
    evaluation = await evaluations.evaluation_for_event(event["id"])
    return await staff_page(
        request, "feedback/follow_up/evaluation_form.html", status_code=status_code, event=event,
        evaluation=evaluation, values=values or _values(evaluation), errors=errors or {},
        slots=range(1, evaluations.MAX_QUESTIONS + 1),
    )


@get("/events/{event_id:int}/evaluation", name="follow_up_evaluation", guards=GUARD)
async def evaluation_form(request: Request, event_id: FromPath[int]) -> Template:
    return await _form_page(request, await _event_or_404(event_id))


@post("/events/{event_id:int}/evaluation", name="follow_up_evaluation_save", status_code=303, guards=GUARD)
async def evaluation_save(request: Request, event_id: FromPath[int]) -> Template | Redirect:
    event = await _event_or_404(event_id)
    form = await request.form()
    questions = []
    for index in range(1, evaluations.MAX_QUESTIONS + 1):
        kind = form_value(form, f"q{index}_kind", 10)
        label = translations(form, f"q{index}", evaluations.MAX_LABEL)
        if kind == "" and not label:
            continue
        questions.append({"kind": kind, "label": label})
    user = await load_staff_user(request)
    try:
        await evaluations.save(event_id, translations(form, "intro", 2000), questions, user["email"])
    except EvaluationError as error:
        submitted = {key: form_value(form, key, 2000) for key in form}
        return await _form_page(request, event, values=submitted, errors=error.errors, status_code=422)
    flash(request, _("The evaluation has been saved. Attendees who checked in get it by email when the event "
                     "has ended."))
    return Redirect(path=f"/staff/events/{event_id}/evaluation", status_code=303)


@post("/events/{event_id:int}/evaluation/input", name="follow_up_evaluation_to_input", status_code=303,
      guards=GUARD)
async def evaluation_to_input(request: Request, event_id: FromPath[int]) -> Redirect:
    """Make a free-text answer an input item, to tag and follow up like any input."""
    await _event_or_404(event_id)
    form = await request.form()
    user = await load_staff_user(request)
    try:
        item_id = await evaluations.answer_to_input(
            event_id, form_value(form, "answer", 40), form_value(form, "question", 10), user["id"], user["email"])
    except (LookupError, ValueError):
        flash(request, _("That answer could not be found."), "error")
        return Redirect(path=f"/staff/reports/events/{event_id}#evaluation", status_code=303)
    flash(request, _("The answer is now input of the event; tag it in the input browser."))
    return Redirect(path=f"/staff/input?event={event_id}#item-{item_id}", status_code=303)


staff_router = Router(path="/staff", route_handlers=[evaluation_form, evaluation_save, evaluation_to_input],
                      include_in_schema=False)


# --- the attendee's side ----------------------------------------------------------------------------------

async def _answer_page(found: dict[str, Any], token: str, *, values: dict[str, str] | None = None,
                       errors: dict[str, str] | None = None, done: bool = False, status_code: int = 200) -> Template:
    return Template(
        template_name="feedback/follow_up/evaluation_answer.html",
        context={"found": found, "token": token, "values": values or {}, "errors": errors or {}, "done": done},
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


@get("/evaluation/{token:str}", name="follow_up_evaluation_answer", include_in_schema=False)
async def answer_form(token: FromPath[str]) -> Template:
    found = await evaluations.invitation_for_token(token)
    if found is None:
        raise NotFoundException()
    return await _answer_page(found, token, done=found["answered"])


@post("/evaluation/{token:str}", name="follow_up_evaluation_submit", status_code=200, include_in_schema=False)
async def answer_submit(request: Request, token: FromPath[str]) -> Template:
    await request.app.state.rate_limiter.hit("evaluation-answer", client_address(request), ANSWER_RATE)
    found = await evaluations.invitation_for_token(token)
    if found is None:
        raise NotFoundException()
    form = await request.form()
    raw = {question["key"]: form_value(form, question["key"], evaluations.MAX_ANSWER + 1)
           for question in found["evaluation"]["questions"]}
    try:
        await evaluations.submit(token, raw, current_locale() if current_locale() in LOCALES else LOCALES[0])
    except EvaluationError as error:
        return await _answer_page(found, token, values=raw, errors=error.errors, status_code=422)
    except AlreadyAnswered:
        return await _answer_page({**found, "answered": True}, token, done=True, status_code=409)
    return await _answer_page({**found, "answered": True}, token, done=True)


public_router = Router(path="/", route_handlers=[answer_form, answer_submit], include_in_schema=False)
route_handlers = [staff_router, public_router]
