"""The demo's participants: reproducible, plausible people signing up for the conference (each choosing a
workshop), the trainings and the network meeting, through the real registration service.

Counters, tickets, tokens and confirmation emails are therefore the real ones; every participant has an
``example.org`` address, so no email can reach a real person.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from events.contracts import RegistrationInput, SeatPlan
from events.registration.booking import register
from events.tables import AudienceCategory

PARTICIPANT_DOMAIN = "example.org"

# How the conference's participants spread over its workshops (by the workshops area's demo keys).
WORKSHOP_POPULARITY = {"workplace": 4, "schools": 3, "care": 3, "safety": 2}

FIRST_NAMES_DA = ("Mette", "Lars", "Sofie", "Mads", "Hanne", "Jens", "Camilla", "Ahmed", "Line", "Søren",
                  "Fatima", "Peter", "Ida", "Kasper", "Birgitte", "Niels", "Louise", "Emil", "Aisha", "Rasmus")
LAST_NAMES_DA = ("Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
                 "Rasmussen", "Kjær", "Madsen", "Østergaard", "Holm", "Yilmaz", "Poulsen", "Thomsen")
FIRST_NAMES_SV = ("Anna", "Erik", "Maria", "Johan", "Elin", "Karin", "Ali", "Sara", "Mikael", "Lena",
                  "Oskar", "Fredrika", "Noah", "Emma", "Hassan", "Ingrid", "Viktor", "Maja", "Sam", "Alva")
LAST_NAMES_SV = ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
                 "Svensson", "Gustafsson", "Lindqvist", "Berg", "Wetterlind", "Ahmadi", "Holmberg", "Ek")
COUNCILS = ("Pårørenderådet, Plejecenter Tirsdalen", "Brugerrådet, Bofællesskabet Nørrevang",
            "Forældrebestyrelsen, Dagtilbud Nord", "Skolebestyrelsen, Vestervangskolen",
            "Ældrerådet", "Handicaprådet")
NETWORK_ORGANISATIONS = ("Karlstads kommun", "Lerums kommun", "Katrineholms kommun", "Region Värmland",
                         "Länsstyrelsen Värmland", "Lyckliga Gatorna", "Söderhamns kommun")
DIETS = ("vegetar", "vegansk", "glutenfri", "laktosefri", "halal", "ingen svinekød")


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    locale: str


class People:
    """Plausible participants with unique example.org addresses (reproducible: seeded)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311  # reproducible demo names, not secrets
        self.used: set[str] = set()

    def make(self, swedish: bool, locale: str) -> Person:
        firsts, lasts = (FIRST_NAMES_SV, LAST_NAMES_SV) if swedish else (FIRST_NAMES_DA, LAST_NAMES_DA)
        while True:
            name = f"{self.rng.choice(firsts)} {self.rng.choice(lasts)}"
            local = _ascii(name).replace(" ", ".")
            email = f"{local}@{PARTICIPANT_DOMAIN}"
            number = 2
            while email in self.used:
                email = f"{local}{number}@{PARTICIPANT_DOMAIN}"
                number += 1
            self.used.add(email)
            return Person(name, email, locale)


def _ascii(text: str) -> str:
    text = text.lower().replace("ø", "o").replace("æ", "ae").replace("å", "a")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


@dataclass(frozen=True)
class Signup:
    event_id: int
    person: Person
    category: AudienceCategory
    org_unit_id: int | None = None
    organisation: str = ""
    workshop_ids: tuple[int, ...] = ()
    access_needs: tuple[str, ...] = ()
    diet: str = ""
    follow_up_opt_in: bool = False


def conference_signups(
    conference: int, workshops: Mapping[str, int], units: Mapping[str, int], people: People
) -> list[Signup]:
    """Staff, leaders, councils, council members and citizens of Randers; each chooses one workshop."""
    choices = [workshops[key] for key in WORKSHOP_POPULARITY]
    weights = list(WORKSHOP_POPULARITY.values())
    rng = people.rng
    randers_units = [units[code] for code in ("RK-DAG", "RK-SKO", "RK-SOC", "RK-OMS")]
    plan = ([AudienceCategory.staff] * 26 + [AudienceCategory.leader] * 8 + [AudienceCategory.council] * 12
            + [AudienceCategory.elected] * 4 + [AudienceCategory.citizen] * 8)
    signups = []
    for index, category in enumerate(plan):
        locale = "en" if index % 17 == 5 else ("sv" if index % 23 == 7 else "da")
        person = people.make(swedish=locale == "sv", locale=locale)
        needs: tuple[str, ...] = ()
        roll = rng.random()
        if roll < 0.06:
            needs = ("hearing_loop",)
        elif roll < 0.10:
            needs = ("step_free",)
        elif roll < 0.12:
            needs = ("sign_language",)
        elif roll < 0.14:
            needs = ("quiet_room", "assistant")
        signups.append(
            Signup(
                event_id=conference,
                person=person,
                category=category,
                org_unit_id=rng.choice(randers_units)
                if category in {AudienceCategory.staff, AudienceCategory.leader} else None,
                organisation=rng.choice(COUNCILS) if category is AudienceCategory.council else "",
                workshop_ids=(rng.choices(choices, weights=weights)[0],),
                access_needs=needs,
                diet=rng.choice(DIETS) if rng.random() < 0.2 else "",
                follow_up_opt_in=rng.random() < 0.4,
            )
        )
    return signups


def training_signups(trainings: Sequence[int], units: Mapping[str, int], people: People) -> list[Signup]:
    """Söderhamn's staff, leaders and elected members, spread over its committees and administrations."""
    rng = people.rng
    administrations = ["SH-KSF", "SH-BUF", "SH-ASF", "SH-KFF"]
    committees = ["SH-KS", "SH-BUN", "SH-ASN", "SH-KFN"]
    signups = []
    for session, count in zip(trainings, (18, 13, 9, 5), strict=True):
        for index in range(count):
            elected = index % 7 == 3
            category = AudienceCategory.elected if elected else (
                AudienceCategory.leader if index % 5 == 0 else AudienceCategory.staff
            )
            unit = rng.choice(committees if elected else administrations)
            signups.append(
                Signup(
                    event_id=session,
                    person=people.make(swedish=True, locale="sv"),
                    category=category,
                    org_unit_id=units[unit],
                    access_needs=("hearing_loop",) if rng.random() < 0.05 else (),
                    diet=rng.choice(("vegetarisk", "glutenfri", "laktosfri")) if rng.random() < 0.15 else "",
                )
            )
    return signups


def network_signups(network: int, people: People) -> list[Signup]:
    """One more than fit: the last three wait for a cancellation."""
    rng = people.rng
    signups = []
    for index in range(23):
        category = AudienceCategory.partner if index % 4 == 2 else (
            AudienceCategory.leader if index % 3 == 0 else AudienceCategory.staff
        )
        signups.append(
            Signup(
                event_id=network,
                person=people.make(swedish=True, locale="sv"),
                category=category,
                organisation=rng.choice(NETWORK_ORGANISATIONS),
                diet=rng.choice(("vegetarisk", "vegansk")) if rng.random() < 0.2 else "",
                follow_up_opt_in=index % 2 == 0,
            )
        )
    return signups


async def register_all(signups: list[Signup], seats: SeatPlan) -> None:
    """Through the real service, so counters, tickets, tokens and confirmation emails are what users get.

    ``register`` normally runs its own transaction (its retry after a concurrent duplicate needs that); the
    demo has no concurrency and unique addresses, so it runs inside the demo's one transaction.
    """

    for signup in signups:
        await register(
            signup.event_id,
            RegistrationInput(
                name=signup.person.name,
                email=signup.person.email,
                category=signup.category.value,
                locale=signup.person.locale,
                org_unit_id=signup.org_unit_id,
                organisation=signup.organisation,
                workshop_ids=signup.workshop_ids,
                access_needs=signup.access_needs,
                diet=signup.diet,
                follow_up_opt_in=signup.follow_up_opt_in,
            ),
            seats,
        )
