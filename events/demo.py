"""The events area's demo data: five venues, the organisational units of two municipalities, the events (in
``events.demo_programme``) and their sign-ups (in ``events.demo_participants``), loaded in two rounds (see
``Area.demo``).

``load`` (first round) creates places and events and leaves in the shared dictionary what later loaders need:
``org_units`` (ids by code), ``venues``, ``conference``, ``conference_day``, ``conference_timezone`` and the
other events' ids (``cafe``, ``trainings``, ``network``, ``dialogue``, ``draft``). ``register_participants``
(second round) signs people up through the real registration service; conference participants choose a
workshop, so it runs after the workshops area has added ``workshops`` (ids by key), and it books their seats
through the ``seat_plan`` the areas provide (``demo["provided"]``), as the registration form does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from events.demo_participants import People, conference_signups, network_signups, register_all, training_signups
from events.demo_programme import (
    COPENHAGEN,
    create_cafe,
    create_conference,
    create_dialogue_meeting,
    create_draft_training,
    create_network_meeting,
    create_trainings,
)
from events.tables import OrgUnit, OrgUnitKind, Venue
from samrad.core.demo_support import t

VENUES = {
    "randers": dict(
        name="Konferencecenter Randers, Store Sal",
        address="Tørvebryggen 10",
        city="8900 Randers",
        step_free=True,
        hearing_loop=True,
        accessible_toilet=True,
        quiet_room=True,
        accessibility=t(
            "Niveaufri adgang fra Tørvebryggen og elevator til alle etager. Teleslynge i Store Sal og i "
            "workshoplokalerne. Handicaptoilet i stueetagen. Stillerum i lokale 1.04. Handicapparkering ved "
            "hovedindgangen. Tegnsprogs- og skrivetolk kan bestilles ved tilmelding.",
            "Nivåfri entré från Tørvebryggen och hiss till alla våningar. Hörslinga i Store Sal och i "
            "workshoprummen. Tillgänglig toalett på entréplanet. Tyst rum i lokal 1.04. Parkering för "
            "rörelsehindrade vid huvudentrén. Teckenspråks- och skrivtolk kan beställas vid anmälan.",
            "Step-free entrance from Tørvebryggen and a lift to every floor. Hearing loop in the main hall and the "
            "workshop rooms. Accessible toilet on the ground floor. Quiet room in room 1.04. Disabled parking at "
            "the main entrance. Sign-language and speech-to-text interpreting can be booked when you register.",
        ),
    ),
    "randers-radhus": dict(
        name="Randers Rådhus, Byrådssalen",
        address="Laksetorvet 1",
        city="8900 Randers",
        step_free=True,
        hearing_loop=True,
        accessible_toilet=True,
        quiet_room=False,
        accessibility=t(
            "Niveaufri adgang via hovedindgangen og elevator til 2. sal. Teleslynge i byrådssalen.",
            "Nivåfri entré via huvudingången och hiss till andra våningen. Hörslinga i sessionssalen.",
            "Step-free access through the main entrance and a lift to the second floor. Hearing loop in the "
            "council chamber.",
        ),
    ),
    "perrongen": dict(
        name="Perrongen",
        address="Järnvägsgatan 2",
        city="641 30 Katrineholm",
        step_free=True,
        hearing_loop=False,
        accessible_toilet=True,
        quiet_room=True,
        accessibility=t(
            "Niveaufri indgang fra perronsiden, handicaptoilet og et mindre, stille rum, hvis det bliver for "
            "meget. Ingen teleslynge. Ingen fotografering uden samtykke.",
            "Nivåfri entré från perrongsidan, tillgänglig toalett och ett mindre, tyst rum om det blir för "
            "mycket. Ingen hörslinga. Ingen fotografering utan samtycke.",
            "Step-free entrance from the platform side, an accessible toilet and a small quiet room if it gets "
            "too much. No hearing loop. No photos without consent.",
        ),
    ),
    "soderhamn": dict(
        name="Stadshuset, Sessionssalen",
        address="Rådhustorget 1",
        city="826 80 Söderhamn",
        step_free=True,
        hearing_loop=True,
        accessible_toilet=True,
        quiet_room=False,
        accessibility=t(
            "Elevator fra indgangen ved Rådhustorget. Teleslynge i Sessionssalen. Handicaptoilet på samme etage.",
            "Hiss från entrén vid Rådhustorget. Hörslinga i Sessionssalen. Tillgänglig toalett på samma plan.",
            "Lift from the entrance on Rådhustorget. Hearing loop in the session hall. Accessible toilet on the "
            "same floor.",
        ),
    ),
    "karlstad": dict(
        name="Karlstads kommunhus, Stora konferensrummet",
        address="Drottninggatan 32",
        city="651 84 Karlstad",
        step_free=True,
        hearing_loop=True,
        accessible_toilet=True,
        quiet_room=True,
        accessibility=t(
            "Niveaufri adgang og elevator. Teleslynge. Stillerum på samme etage.",
            "Nivåfri entré och hiss. Hörslinga. Tyst rum på samma våning.",
            "Step-free access and a lift. Hearing loop. Quiet room on the same floor.",
        ),
    ),
}

# (code, name, kind, headcount, parent code)
ORG_UNITS = (
    ("RK-DAG", "Dagtilbud", OrgUnitKind.department, 1450, None),
    ("RK-SKO", "Skole", OrgUnitKind.department, 2300, None),
    ("RK-SOC", "Social", OrgUnitKind.department, 1100, None),
    ("RK-OMS", "Omsorg", OrgUnitKind.department, 2600, None),
    ("SH-KS", "Kommunstyrelsen", OrgUnitKind.committee, 13, None),
    ("SH-KSF", "Kommunstyrelseförvaltningen", OrgUnitKind.administration, 160, "SH-KS"),
    ("SH-BUN", "Barn- och utbildningsnämnden", OrgUnitKind.committee, 11, None),
    ("SH-BUF", "Barn- och utbildningsförvaltningen", OrgUnitKind.administration, 1050, "SH-BUN"),
    ("SH-ASN", "Arbetsmarknads- och socialnämnden", OrgUnitKind.committee, 11, None),
    ("SH-ASF", "Arbetsmarknads- och socialförvaltningen", OrgUnitKind.administration, 480, "SH-ASN"),
    ("SH-KFN", "Kultur- och fritidsnämnden", OrgUnitKind.committee, 9, None),
    ("SH-KFF", "Kultur- och fritidsförvaltningen", OrgUnitKind.administration, 120, "SH-KFN"),
)


async def _create_places() -> tuple[dict[str, int], dict[str, int]]:
    """The venues and the organisational units; returns their ids by key and by unit code."""
    venue_ids: dict[str, int] = {}
    for key, fields in VENUES.items():
        venue = Venue(**fields)
        await venue.save()
        venue_ids[key] = venue.id
    unit_ids: dict[str, int] = {}
    for code, name, kind, headcount, parent in ORG_UNITS:
        unit = OrgUnit(code=code, name=name, kind=kind.value, headcount=headcount, parent=unit_ids.get(parent or ""))
        await unit.save()
        unit_ids[code] = unit.id
    return venue_ids, unit_ids


async def load(demo: dict[str, Any]) -> None:
    """Places and events, in a fixed order (the ids follow it)."""
    today = datetime.now(ZoneInfo(COPENHAGEN)).date()
    venues, units = await _create_places()
    conference, conference_day = await create_conference(today, venues["randers"])
    cafe = await create_cafe(today, venues["perrongen"])
    trainings = await create_trainings(today, venues["soderhamn"])
    network = await create_network_meeting(today, venues["karlstad"])
    dialogue = await create_dialogue_meeting(today, venues["randers-radhus"])
    draft = await create_draft_training(today, venues["soderhamn"])
    demo.update(
        venues=venues,
        org_units=units,
        conference=conference,
        conference_day=conference_day,
        conference_timezone=COPENHAGEN,
        cafe=cafe,
        trainings=trainings,
        network=network,
        dialogue=dialogue,
        draft=draft,
    )


async def register_participants(demo: dict[str, Any]) -> None:
    """Sign-ups for the conference, the trainings and the network meeting (the last one ends up full)."""
    people = People(seed=2021)  # one generator, in this order: the same people every time
    units = demo["org_units"]
    await register_all(
        conference_signups(demo["conference"], demo["workshops"], units, people)
        + training_signups(demo["trainings"], units, people)
        + network_signups(demo["network"], people),
        demo["provided"]["seat_plan"],
    )
