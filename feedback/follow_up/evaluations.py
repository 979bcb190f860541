"""Evaluations after an event: anonymous, yet one answer per attendee.

An organiser gives an event a few questions (ratings from 1 to 5, free text). When the event has ended, the
job (``invitation_job``) sends every checked-in attendee a secret link (``EvaluationInvitation``; its token is
derived from the secret key, so only its hash is stored and the renderer writes the link at send time).

Answering writes two rows that nothing joins: an ``EvaluationReceipt`` (this invitation has been used; unique per
invitation, so a second answer, however concurrent, is refused and rolls back) and an ``EvaluationAnswer`` (the
answers, the language, the date only; no invitation, no registration, no time, and a random key so the order of
rows says nothing). A free-text answer can become an input item of the event, to be tagged like any input.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from events.tables import Event, EventStatus, Registration, RegistrationStatus
from feedback.follow_up import emails
from feedback.tables import (
    Evaluation,
    EvaluationAnswer,
    EvaluationInvitation,
    EvaluationReceipt,
    InputItem,
    InputKind,
    InputRevision,
    InputSource,
    InputStatus,
)
from samrad.core import audit, db, mail
from samrad.core.clock import now_utc
from samrad.core.i18n import _, pick, use_locale
from samrad.core.security import hash_token
from samrad.core.settings import LOCALES, Settings, get_settings

MAIL_KIND = "follow_up.evaluation"
MAX_QUESTIONS = 8
MAX_LABEL = 300
MAX_ANSWER = 2000
RATINGS = (1, 2, 3, 4, 5)
QUESTION_KINDS = ("rating", "text")


class EvaluationError(Exception):
    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = dict(errors)


class AlreadyAnswered(Exception):
    """This invitation has been used."""


# --- the organiser's side ---------------------------------------------------------------------------------

def check_questions(questions: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not questions:
        errors["questions"] = _("Ask at least one question.")
    if len(questions) > MAX_QUESTIONS:
        errors["questions"] = _("Ask at most %(max)s questions.", max=MAX_QUESTIONS)
    for index, question in enumerate(questions, start=1):
        if question.get("kind") not in QUESTION_KINDS:
            errors[f"q{index}"] = _("Choose a rating or a free-text question.")
        label = question.get("label") or {}
        if not any((text or "").strip() for text in label.values()):
            errors[f"q{index}"] = _("Write question %(number)s in at least one language.", number=index)
        elif any(len(text) > MAX_LABEL for text in label.values()):
            errors[f"q{index}"] = _("Keep each question under %(max)s characters.", max=MAX_LABEL)
    return errors


async def save(event_id: int, intro: Mapping[str, str], questions: Sequence[Mapping[str, Any]], actor: str) -> None:
    """Create or replace the event's evaluation; its questions are fixed once someone has answered."""
    errors = check_questions(questions)
    if errors:
        raise EvaluationError(errors)
    cleaned = [{"key": f"q{index}", "kind": q["kind"],
                "label": {lang: text.strip() for lang, text in q["label"].items() if text and text.strip()}}
               for index, q in enumerate(questions, start=1)]
    async with db.atomic():
        existing = await Evaluation.select(Evaluation.id).where(Evaluation.event == event_id).first()
        if existing is None:
            await Evaluation.insert(Evaluation(event=event_id, intro=dict(intro), questions=cleaned))
        else:
            if await EvaluationReceipt.exists().where(EvaluationReceipt.evaluation == existing["id"]):
                raise EvaluationError({"questions": _("People have answered already: the questions stay as "
                                                      "they were asked.")})
            await Evaluation.update({Evaluation.intro: dict(intro), Evaluation.questions: cleaned}).where(
                Evaluation.id == existing["id"])
        await audit.record(actor, "follow_up.evaluation", f"event:{event_id}")


async def evaluation_for_event(event_id: int) -> dict[str, Any] | None:
    return await Evaluation.select().where(Evaluation.event == event_id).output(load_json=True).first()


# --- invitations ------------------------------------------------------------------------------------------

def invitation_token(key: str, settings: Settings | None = None) -> str:
    secret = (settings or get_settings()).secret_key.encode()
    return hmac.new(secret, f"evaluation:{key}".encode(), hashlib.sha256).hexdigest()


async def invite_attendees(evaluation: Mapping[str, Any], now: datetime) -> int:
    """Invite the event's checked-in attendees (each once); returns how many invitations were queued."""
    attendees = await Registration.select(Registration.id, Registration.email).where(
        (Registration.event == evaluation["event"]) & (Registration.status == RegistrationStatus.confirmed.value)
        & Registration.checked_in_at.is_not_null() & Registration.anonymised_at.is_null()
    )
    queued = 0
    async with db.atomic():
        claimed = await Evaluation.update({Evaluation.invitations_sent_at: now}).where(
            (Evaluation.id == evaluation["id"]) & Evaluation.invitations_sent_at.is_null()
        ).returning(Evaluation.id)
        if not claimed:
            return 0
        for attendee in attendees:
            if not (attendee["email"] or "").strip():
                continue
            key = f"{evaluation['id']}:{attendee['id']}"
            rows = await EvaluationInvitation.insert(EvaluationInvitation(
                evaluation=evaluation["id"], registration=attendee["id"], invitation_key=key,
                token_hash=hash_token(invitation_token(key)),
            )).on_conflict(target=EvaluationInvitation.invitation_key, action="DO NOTHING").returning(
                EvaluationInvitation.id)
            if rows:
                await mail.queue_intent(MAIL_KIND, attendee["email"], {"invitation": rows[0]["id"]})
                queued += 1
        await audit.record("system", "follow_up.evaluation_invitations", f"event:{evaluation['event']}", queued)
    return queued


async def invitation_job(now: datetime, settings: Settings, provided: Mapping[str, Any]) -> dict[str, int]:
    """Invite the attendees of every event with an evaluation that has ended and whose invitations are not out."""
    rows = await Evaluation.select(Evaluation.id, Evaluation.event).where(
        Evaluation.invitations_sent_at.is_null() & (Evaluation.event.ends_at <= now)
        & (Evaluation.event.status != EventStatus.cancelled.value)
    )
    invited = 0
    for row in rows:
        invited += await invite_attendees(row, now)
    return {"evaluation_invitations": invited} if invited else {}


async def render_invitation(intent: Mapping[str, Any], provided: Mapping[str, Any]) -> mail.RenderedMail | None:
    """The invitation email; None when the registration was erased or the invitation already answered."""
    invitation = await EvaluationInvitation.select(
        EvaluationInvitation.id, EvaluationInvitation.invitation_key, EvaluationInvitation.evaluation,
        EvaluationInvitation.registration,
    ).where(EvaluationInvitation.id == intent["invitation"]).first()
    if invitation is None or invitation["registration"] is None:
        return None
    if await EvaluationReceipt.exists().where(EvaluationReceipt.invitation == invitation["id"]):
        return None
    person = await Registration.select(Registration.email, Registration.locale, Registration.anonymised_at).where(
        Registration.id == invitation["registration"]).first()
    if person is None or person["anonymised_at"] is not None or not (person["email"] or "").strip():
        return None
    evaluation = await Evaluation.select(Evaluation.event.title.as_alias("title")).where(
        Evaluation.id == invitation["evaluation"]).output(load_json=True).first()
    settings = get_settings()
    link = f"{settings.base_url}/evaluation/{invitation_token(invitation['invitation_key'], settings)}"
    with use_locale(person["locale"] if person["locale"] in LOCALES else LOCALES[0]):
        title = pick(evaluation["title"]) if evaluation else ""
        text, html = emails.render("evaluation", {"event_title": title, "link": link})
        subject = _("How was %(event)s? A short evaluation", event=title)
    return mail.RenderedMail(to=person["email"], subject=subject, text=text, html=html)


# --- answering --------------------------------------------------------------------------------------------

async def invitation_for_token(token: str) -> dict[str, Any] | None:
    """The invitation, its evaluation and event, and whether it has been answered; None for an unknown token."""
    if not token or len(token) > 100:
        return None
    invitation = await EvaluationInvitation.select(EvaluationInvitation.id, EvaluationInvitation.evaluation).where(
        EvaluationInvitation.token_hash == hash_token(token)).first()
    if invitation is None:
        return None
    evaluation = await Evaluation.select().where(Evaluation.id == invitation["evaluation"]).output(
        load_json=True).first()
    event = await Event.select(Event.title, Event.slug).where(Event.id == evaluation["event"]).output(
        load_json=True).first()
    answered = await EvaluationReceipt.exists().where(EvaluationReceipt.invitation == invitation["id"])
    return {"invitation": invitation["id"], "evaluation": evaluation, "event": event, "answered": answered}


def check_answers(
    questions: Sequence[Mapping[str, Any]], raw: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The answers to keep (ratings as numbers, texts trimmed; unanswered questions left out) and errors."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in questions:
        value = (raw.get(question["key"]) or "").strip()
        if not value:
            continue
        if question["kind"] == "rating":
            if value not in {str(r) for r in RATINGS}:
                errors[question["key"]] = _("Choose a number from 1 to 5.")
            else:
                answers[question["key"]] = int(value)
        elif len(value) > MAX_ANSWER:
            errors[question["key"]] = _("Keep your answer under %(max)s characters.", max=MAX_ANSWER)
        else:
            answers[question["key"]] = value
    if not answers and not errors:
        errors["answers"] = _("Answer at least one question.")
    return answers, errors


async def submit(token: str, raw: Mapping[str, str], language: str) -> None:
    """Keep one attendee's answers. ``AlreadyAnswered`` for a used invitation (nothing is written),
    ``EvaluationError`` for answers that cannot be kept, ``LookupError`` for an unknown token."""
    found = await invitation_for_token(token)
    if found is None:
        raise LookupError("invitation")
    answers, errors = check_answers(found["evaluation"]["questions"], raw)
    if errors:
        raise EvaluationError(errors)
    async with db.atomic():
        receipt = await EvaluationReceipt.insert(EvaluationReceipt(
            evaluation=found["evaluation"]["id"], invitation=found["invitation"],
        )).on_conflict(target=EvaluationReceipt.invitation, action="DO NOTHING").returning(EvaluationReceipt.id)
        if not receipt:
            raise AlreadyAnswered()
        await EvaluationAnswer.insert(EvaluationAnswer(
            evaluation=found["evaluation"]["id"], answers=answers,
            language=language if language in LOCALES else LOCALES[0], answered_on=now_utc().date(),
        ))


# --- results ----------------------------------------------------------------------------------------------

async def results(event_id: int) -> dict[str, Any] | None:
    """Per question: ratings counted 1-5 with their average, or the free-text answers (with the answer's key,
    to turn one into input). None when the event has no evaluation."""
    evaluation = await evaluation_for_event(event_id)
    if evaluation is None:
        return None
    rows = await EvaluationAnswer.select(EvaluationAnswer.id, EvaluationAnswer.answers).where(
        EvaluationAnswer.evaluation == evaluation["id"]).output(load_json=True)
    invited = await EvaluationInvitation.count().where(EvaluationInvitation.evaluation == evaluation["id"])
    questions = []
    for question in evaluation["questions"]:
        given = [(row["id"], row["answers"][question["key"]]) for row in rows if question["key"] in row["answers"]]
        entry: dict[str, Any] = {**question, "answered": len(given)}
        if question["kind"] == "rating":
            counts = Counter(int(value) for _, value in given)
            entry["counts"] = [(rating, counts.get(rating, 0)) for rating in RATINGS]
            entry["average"] = sum(int(value) for _, value in given) / len(given) if given else None
        else:
            entry["texts"] = sorted(((str(answer_id), str(value)) for answer_id, value in given),
                                    key=lambda pair: pair[1].casefold())
        questions.append(entry)
    return {"evaluation": evaluation, "answers": len(rows), "invited": invited, "questions": questions}


async def answer_to_input(event_id: int, answer_id: str, question_key: str, staff_user_id: int | None,
                          actor: str) -> int:
    """Make a free-text answer an input item of the event (published, kind "experience", from a participant),
    so it can be tagged and followed up like input. The item says nothing about who answered or when."""
    evaluation = await evaluation_for_event(event_id)
    if evaluation is None:
        raise LookupError("evaluation")
    try:
        answer_key = uuid.UUID(answer_id)  # PostgreSQL refuses to compare its uuid column with anything else
    except ValueError:
        raise LookupError("answer") from None
    row = await EvaluationAnswer.select(EvaluationAnswer.answers, EvaluationAnswer.language).where(
        (EvaluationAnswer.id == answer_key) & (EvaluationAnswer.evaluation == evaluation["id"])
    ).output(load_json=True).first()
    kinds = {q["key"]: q["kind"] for q in evaluation["questions"]}
    if row is None or kinds.get(question_key) != "text" or question_key not in row["answers"]:
        raise LookupError("answer")
    event = await Event.select(Event.ends_at).where(Event.id == event_id).first()
    # The same answer becomes one item however often it is chosen (``client_id`` is unique).
    client_id = hashlib.sha256(f"evaluation:{answer_key}:{question_key}".encode()).hexdigest()[:36]
    async with db.atomic():
        item = await InputItem.insert(InputItem(
            event=event_id, kind=InputKind.experience.value, text=str(row["answers"][question_key]),
            language=row["language"], source=InputSource.participant.value, status=InputStatus.published.value,
            created_at=event["ends_at"].replace(second=0, microsecond=0), client_id=client_id,
        )).on_conflict(target=InputItem.client_id, action="DO NOTHING").returning(InputItem.id)
        if not item:
            existing = await InputItem.select(InputItem.id).where(InputItem.client_id == client_id).first()
            return existing["id"]
        await InputRevision.insert(InputRevision(input_item=item[0]["id"], action="from_evaluation", changes={},
                                                 staff_user=staff_user_id))
        await audit.record(actor, "follow_up.evaluation_to_input", f"event:{event_id}")
    return item[0]["id"]
