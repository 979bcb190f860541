"""The workshops area's demo data: the four afternoon workshops of Randers' implementation conference.

``load`` runs after the events area's (see ``Area.demo``): it reads ``conference``, ``conference_day`` and
``conference_timezone`` from the shared dictionary and adds ``workshops``, their ids by the keys below, in
programme order, each with tables, join codes and the demo staff who run it. ``link_themes`` runs in the next
round, after the feedback area made the themes (``themes``), and links each workshop to its policy themes
through the ``theme_links`` the feedback area provides.
"""

from __future__ import annotations

from typing import Any

from samrad.core.demo_support import DEMO_EMAIL_DOMAIN, at, t
from samrad.core.tables import StaffUser
from workshops.management.forms import WorkshopData
from workshops.management.services import create_workshop

# (key, title, description, room, capacity)
WORKSHOPS = (
    (
        "workplace",
        t("Lige muligheder på arbejdspladsen", "Lika möjligheter på arbetsplatsen", "Equal opportunities at work"),
        t(
            "Hvordan sikrer vi lige løn, karriere og trygge rammer for alle medarbejdere og ledere – og hvad gør "
            "vi, når nogen bliver krænket?",
            "Hur säkrar vi lika lön, karriär och trygga ramar för alla medarbetare och chefer – och vad gör vi "
            "när någon blir kränkt?",
            "How do we secure equal pay, careers and a safe workplace for all staff and managers – and what do we "
            "do when someone is harassed?",
        ),
        "Lokale 1.10",
        70,
    ),
    (
        "schools",
        t("Leg og læring uden kønsstereotyper", "Lek och lärande utan könsstereotyper",
          "Play and learning without gender stereotypes"),
        t(
            "Pædagoger, lærere, forældrebestyrelser og skolebestyrelser deler erfaringer med normkritisk "
            "pædagogik i dagtilbud og skole.",
            "Pedagoger, lärare, föräldrastyrelser och skolstyrelser delar erfarenheter av normkritisk pedagogik i "
            "förskola och skola.",
            "Educators, teachers and parents' and school boards share experience of norm-critical teaching in day "
            "care and schools.",
        ),
        "Lokale 1.12",
        70,
    ),
    (
        "care",
        t("Ligeværdig omsorg: social og ældre", "Likvärdig omsorg: socialtjänst och äldre",
          "Equal care: social services and older people"),
        t(
            "Hvordan møder vi borgere i social- og ældreområdet, så ingen skal skjule, hvem de er? Med oplæg om "
            "ældre LGBT+ borgere på plejecentre.",
            "Hur möter vi invånare inom socialtjänst och äldreomsorg så att ingen behöver dölja vem de är? Med "
            "inledning om äldre hbtq-personer på äldreboenden.",
            "How do we meet people in social and elderly care so that nobody has to hide who they are? With an "
            "introduction on older LGBT+ people in care homes.",
        ),
        "Lokale 2.01",
        60,
    ),
    (
        "safety",
        t("En tryg og attraktiv kommune for alle", "En trygg och attraktiv kommun för alla",
          "A safe and attractive municipality for all"),
        t(
            "Byrum, fritidsliv og foreninger: hvor føler du dig tryg, og hvad skal der til, for at alle kan "
            "leve frit i Randers?",
            "Stadsmiljö, fritid och föreningsliv: var känner du dig trygg, och vad krävs för att alla ska kunna "
            "leva fritt i Randers?",
            "Public spaces, leisure and clubs: where do you feel safe, and what would let everyone live freely "
            "in Randers?",
        ),
        "Store Sal",
        50,
    ),
)


# Tables per workshop (named in Danish, the conference's language), who runs it (demo staff roles; the
# organiser co-facilitates the largest one), and the Randers policy themes it works on (their codes).
SETUP = {
    "workplace": (4, ("facilitator", "organiser"), ("R1", "R1.1", "R1.2")),
    "schools": (3, ("facilitator",), ("R2.1",)),
    "care": (3, ("organiser",), ("R2.2",)),
    "safety": (2, ("facilitator",), ("R3", "R3.1")),
}
# The Randers policy's code: the feedback area's demo names its themes "policy-code/theme-code".
RANDERS_POLICY = "randers-koensligestilling"


async def load(demo: dict[str, Any]) -> None:
    """The conference's workshops, all from 13:00 to 14:30 local time, with their tables (each with a join code)
    and facilitators, made by the organisers' own service."""
    day, zone = demo["conference_day"], demo["conference_timezone"]
    staff = {
        row["role"]: row["id"]
        for row in await StaffUser.select(StaffUser.id, StaffUser.role).where(
            StaffUser.email.like(f"%@{DEMO_EMAIL_DOMAIN}")
        )
    }
    ids: dict[str, int] = {}
    for key, title, description, room, capacity in WORKSHOPS:
        tables, runners, _themes = SETUP[key]
        data = WorkshopData(
            title=title, description=description, room=room, starts_at=at(day, 13, 0, zone),
            ends_at=at(day, 14, 30, zone), capacity=capacity,
            tables=tuple(f"Bord {number}" for number in range(1, tables + 1)),
            facilitator_ids=tuple(staff[role] for role in runners if role in staff), theme_ids=(),
        )
        ids[key] = await create_workshop(demo["conference"], data, demo["provided"]["theme_links"], "system")
    demo["workshops"] = ids


async def link_themes(demo: dict[str, Any]) -> None:
    """The policy themes each workshop works on: a second round, once the feedback area made the themes."""
    theme_links = demo["provided"]["theme_links"]
    for key, workshop_id in demo["workshops"].items():
        theme_ids = [demo["themes"][f"{RANDERS_POLICY}/{code}"] for code in SETUP[key][2]]
        await theme_links.set_workshop_themes(workshop_id, theme_ids)
