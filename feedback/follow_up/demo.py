"""The follow-up in the demo, made through the services: the Randers actions get a history with public notes and
quote some of their input, a subscriber waits for digests, Söderhamn's units have this year's headcounts, and
the first training is played through (check-in at the door, the evaluation and some answers).

Runs in the second round (after ``feedback.demo.load`` made the actions, and after events' sign-ups and
check-ins)."""

from __future__ import annotations

from typing import Any

from events.checkin.services import check_in
from events.tables import Event, OrgUnit, Registration, RegistrationStatus
from feedback.follow_up import actions, digests, evaluations, reports, services
from feedback.follow_up.services import StatusChange
from feedback.tables import EvaluationInvitation, FollowUp
from samrad.core.clock import now_utc
from samrad.core.demo_support import t

ACTOR = "demo"

PROPOSED = t("Foreslået på dialogmødet.", "Föreslaget på dialogmötet.", "Proposed at the dialogue meeting.")

# An action's way to where the demo leaves it: (status, progress, note) steps.
STEPS = {
    "in_progress": (
        ("proposed", 0, PROPOSED),
        ("planned", 10, t("Vandringen er aftalt med ungdomsrådet til foråret.",
                          "Vandringen är bokad med ungdomsrådet till våren.",
                          "The walk is booked with the youth council for the spring.")),
        ("in_progress", 40, t("Vandringen er gennemført; tre strækninger får nyt lys i år.",
                              "Vandringen är genomförd; tre sträckor får ny belysning i år.",
                              "The walk took place; three stretches get new lights this year.")),
    ),
    "planned": (
        ("proposed", 0, PROPOSED),
        ("planned", 0, t("Borgerservice gennemgår brevene efter sommerferien.",
                         "Medborgarservice går igenom breven efter sommaren.",
                         "Citizen services review the letters after the summer.")),
    ),
    "done": (
        ("planned", 20, t("HR samler tallene.", "HR samlar in siffrorna.", "HR gathers the figures.")),
        ("done", 100, t("Lønstatistikken er offentliggjort på intranettet.",
                        "Lönestatistiken är publicerad på intranätet.",
                        "The pay statistics are published on the intranet.")),
    ),
}


EVALUATION_QUESTIONS = (
    {"kind": "rating", "label": t("Hvordan var kurset alt i alt?", "Hur var utbildningen som helhet?",
                                  "How was the training as a whole?")},
    {"kind": "rating", "label": t("Kan du bruge det i dit arbejde?", "Kan du använda det i ditt arbete?",
                                  "Can you use it in your work?")},
    {"kind": "text", "label": t("Hvad skal vi gøre anderledes næste gang?", "Vad ska vi göra annorlunda nästa gång?",
                                "What should we do differently next time?")},
)
# (rating 1, rating 2, free text) per answer: Söderhamn's first training, in Swedish.
EVALUATION_ANSWERS = (
    ("5", "4", "Fler exempel från förskolan, tack."),
    ("4", "4", ""),
    ("4", "5", "Bra med diskussionerna i små grupper."),
    ("3", "3", "Mer tid till frågor."),
    ("5", "4", ""),
    ("4", "3", "Materialet kunde ha skickats ut i förväg."),
    ("5", "5", ""),
)


async def load(demo: dict[str, Any]) -> None:
    await _histories()
    await digests.subscribe(demo["dialogue"], "folger.med@example.org", "da")
    await _first_training(demo["trainings"][0])
    await _headcounts(demo["trainings"][0])


async def _histories() -> None:
    """Replay each action's way to its current status, so its history has dated public notes, and quote its
    published input on the public page."""
    for row in await FollowUp.select(FollowUp.id, FollowUp.status):
        for status, progress, note in STEPS.get(row["status"], ()):
            await services.change_status(row["id"], StatusChange(status=status, progress=progress, note=note), ACTOR)
        for item in await actions.linked_items(row["id"]):
            if item["status"] == "published":
                await services.show_item(row["id"], item["id"], True, ACTOR)


async def _first_training(event_id: int) -> None:
    """The demo's trainings lie ahead, so the first one is played through: most of its people check in at the
    door, the evaluation goes out to them, and some answer."""
    registrations = await Registration.select(Registration.ticket_code).where(
        (Registration.event == event_id) & (Registration.status == RegistrationStatus.confirmed.value)
    ).order_by(Registration.id)
    for row in registrations[: max(0, len(registrations) - 2)]:
        await check_in(row["ticket_code"], event_id)
    await evaluations.save(event_id, t("Tak fordi du deltog.", "Tack för att du deltog.", "Thank you for coming."),
                           list(EVALUATION_QUESTIONS), ACTOR)
    evaluation = await evaluations.evaluation_for_event(event_id)
    await evaluations.invite_attendees(evaluation, now_utc())
    invitations = await EvaluationInvitation.select(EvaluationInvitation.invitation_key).where(
        EvaluationInvitation.evaluation == evaluation["id"]).order_by(EvaluationInvitation.id)
    for invitation, (first, second, text) in zip(invitations, EVALUATION_ANSWERS, strict=False):
        token = evaluations.invitation_token(invitation["invitation_key"])
        await evaluations.submit(token, {"q1": first, "q2": second, "q3": text}, "sv")


async def _headcounts(training_id: int) -> None:
    """This year's headcounts of Söderhamn's units: the standing figures after this year's changes."""
    training = await Event.select(Event.starts_at).where(Event.id == training_id).first()
    units = await OrgUnit.select(OrgUnit.id, OrgUnit.headcount).where(OrgUnit.code.like("SH-%"))
    values = {row["id"]: max(0, row["headcount"] - row["headcount"] // 20) for row in units}
    if values:
        await reports.set_headcounts(training["starts_at"].year, values, ACTOR)
