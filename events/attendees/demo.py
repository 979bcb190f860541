"""The demo's back-office work, through the real services: people who phoned in, people checked in at the first
training, and a message to the network meeting's waiting list. Runs after the sign-ups (events' third round).
"""

from __future__ import annotations

from typing import Any

from events.attendees import messaging, queries, services
from events.checkin.services import check_in
from events.contracts import RegistrationInput
from events.tables import AudienceCategory, Event, Registration, RegistrationStatus
from samrad.core.demo_support import DEMO_EMAIL_DOMAIN

ORGANISER = f"organiser@{DEMO_EMAIL_DOMAIN}"

PHONE_INS = (
    ("Grete Mikkelsen", "grete.mikkelsen@example.org", AudienceCategory.citizen, "da"),
    ("Poul Erik Vestergaard", "poul.erik.vestergaard@example.org", AudienceCategory.elected, "da"),
    ("Ulla Dahl", "ulla.dahl@example.org", AudienceCategory.council, "da"),
)

WAITING_LIST_MESSAGE = messaging.GroupMessage(
    subjects={
        "sv": "Du står på väntelistan: vi hör av oss",
        "en": "You are on the waiting list: we will be in touch",
    },
    bodies={
        "sv": "Hej!\n\nMötet är fullbokat och du står på väntelistan. Får du en plats skickar vi ett mejl direkt, "
              "och i november bjuder vi in till nästa nätverksträff.",
        "en": "Hello,\n\nThe meeting is fully booked and you are on the waiting list. If a place comes free we "
              "email you at once, and we will invite you to the next network meeting in November.",
    },
)


async def load(demo: dict[str, Any]) -> None:
    seats = demo["provided"]["seat_plan"]
    await _phone_ins(demo["conference"], seats)
    await _check_in_first_training(demo["trainings"])
    await _message_waiting_list(demo["network"])


async def _phone_ins(conference: int, seats: Any) -> None:
    """Three people who rang the town hall instead of using the form."""
    for name, email, category, locale in PHONE_INS:
        organisation = "Pårørenderådet, Plejecenter Tirsdalen" if category == AudienceCategory.council else ""
        await services.register_phone_in(
            conference,
            RegistrationInput(name=name, email=email, category=category.value, locale=locale,
                              organisation=organisation),
            seats, ORGANISER,
        )


async def _check_in_first_training(trainings: list[int]) -> None:
    """Two of every three people at the first training session have been checked in at the door."""
    first = await Event.select(Event.id).where(Event.id.is_in(list(trainings))).order_by(Event.starts_at).first()
    rows = await Registration.select(Registration.ticket_code).where(
        (Registration.event == first["id"]) & (Registration.status == RegistrationStatus.confirmed.value)
    ).order_by(Registration.id)
    for index, row in enumerate(rows):
        if index % 3 != 2:
            await check_in(row["ticket_code"], first["id"], scan_id=f"demo-scan-{first['id']}-{index:04d}")


async def _message_waiting_list(network: int) -> None:
    """The network meeting is full: its organiser writes to everyone waiting, in Swedish and English."""
    rows = await queries.event_registrations(network, None)
    waiting = queries.apply(rows, queries.ListFilter(status=RegistrationStatus.waitlisted.value))
    await messaging.send_group_message(network, waiting, WAITING_LIST_MESSAGE, ORGANISER)
