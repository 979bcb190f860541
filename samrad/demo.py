"""Demo data: the municipal stories behind Samråd, as one realistic installation.

Randers' implementation conference for its gender-equality policy (three themes, four workshops), Katrineholm's
weekly MOGAI café (drop-in, sensitive, with a holiday break), Söderhamn's HBTQ trainings with a 30 % coverage
target per committee and administration, a Värmland network meeting that is full with a waiting list, and a
past dialogue meeting whose input is tagged to the themes and answered by follow-up actions. Theme taxonomies:
Randers' policy, the CEMR European Charter (2022 wording) and Lerum's flat list of areas.

This module composes every area (like ``samrad.app`` and ``samrad.cli``), so it is the one core module that
imports events, workshops and feedback. Dates are computed from today, so the demo always lies in the future.
Registrations go through ``events.services.register``: counters, tickets, tokens and emails are the real ones;
every registrant has an ``example.org`` address, so no email can reach a real person.
"""

from __future__ import annotations

import random
import secrets
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from events.tables import (
    AudienceCategory,
    Event,
    EventAudience,
    EventKind,
    Occurrence,
    OrgUnit,
    OrgUnitKind,
    RegistrationMode,
    Venue,
)
from feedback.tables import (
    FollowUp,
    FollowUpInput,
    FollowUpStatus,
    InputItem,
    InputSource,
    InputStatus,
    InputTag,
    Policy,
    PolicyKind,
    Theme,
)
from samrad.core import db
from samrad.core.accounts import create_staff_user
from samrad.core.security import new_ticket_code
from samrad.core.settings import get_settings
from samrad.core.tables import Role, StaffUser
from workshops.tables import Workshop

COPENHAGEN = "Europe/Copenhagen"
STOCKHOLM = "Europe/Stockholm"
DEMO_EMAIL_DOMAIN = "demo.samrad.local"
DEMO_MARKER_POLICY = "randers-koensligestilling"
PARTICIPANT_DOMAIN = "example.org"


def t(da: str, sv: str, en: str) -> dict[str, str]:
    """A translatable content field."""
    return {"da": da, "sv": sv, "en": en}


def at(day: date, hour: int, minute: int, zone: str) -> datetime:
    """A local wall-clock time in ``zone``, stored as aware UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def next_weekday(start: date, weekday: int) -> date:
    """The first ``weekday`` (Monday = 0) on or after ``start``, outside the summer and Christmas breaks."""
    day = start + timedelta(days=(weekday - start.weekday()) % 7)
    while _in_holiday_break(day):
        day += timedelta(weeks=1)
    return day


def previous_weekday(start: date, weekday: int) -> date:
    """The last ``weekday`` on or before ``start``, outside the breaks."""
    day = start - timedelta(days=(start.weekday() - weekday) % 7)
    while _in_holiday_break(day):
        day -= timedelta(weeks=1)
    return day


# --- taxonomies ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ThemeSpec:
    code: str
    name: dict[str, str]
    description: dict[str, str] | None = None
    colour: str = ""
    children: tuple[ThemeSpec, ...] = ()


RANDERS_THEMES = (
    ThemeSpec(
        "R1",
        t("Randers Kommune som arbejdsplads", "Randers kommun som arbetsplats", "The municipality as a workplace"),
        t(
            "Lige muligheder og trygge rammer for medarbejdere og ledere. Ingen skal begrænses på grund af "
            "deres køn, identitet eller seksualitet.",
            "Lika möjligheter och trygga ramar för medarbetare och chefer. Ingen ska begränsas på grund av "
            "kön, identitet eller sexualitet.",
            "Equal opportunities and a safe working environment for staff and managers. Nobody is held back "
            "because of their gender, identity or sexuality.",
        ),
        "#1f5f8b",
        (
            ThemeSpec(
                "R1.1",
                t("Løn, karriere og ledelse", "Lön, karriär och ledarskap", "Pay, careers and leadership"),
                t(
                    "Lige løn for lige arbejde, og en ledergruppe der afspejler medarbejderne.",
                    "Lika lön för likvärdigt arbete och en chefsgrupp som speglar medarbetarna.",
                    "Equal pay for work of equal value, and managers who reflect the workforce.",
                ),
                "#2e6f9e",
            ),
            ThemeSpec(
                "R1.2",
                t(
                    "Trygge rammer: krænkelser og chikane",
                    "Trygga ramar: kränkningar och trakasserier",
                    "A safe workplace: harassment and abuse",
                ),
                t(
                    "Forebyggelse af og handling på sexchikane og krænkende adfærd.",
                    "Förebygga och agera mot sexuella trakasserier och kränkande beteenden.",
                    "Preventing and acting on sexual harassment and offensive behaviour.",
                ),
                "#174a6c",
            ),
        ),
    ),
    ThemeSpec(
        "R2",
        t("Kommunens serviceydelser", "Kommunens service till invånarna", "The municipality's services to citizens"),
        t(
            "Kommunen møder borgerne, så alle uanset køn, identitet og seksualitet har lige gode muligheder og "
            "fri livsudfoldelse.",
            "Kommunen möter invånarna så att alla, oavsett kön, identitet och sexualitet, har lika goda "
            "möjligheter och kan leva fritt.",
            "The municipality meets citizens so that everyone, whatever their gender, identity or sexuality, has "
            "equal opportunities and can live freely.",
        ),
        "#1d6b33",
        (
            ThemeSpec(
                "R2.1",
                t("Dagtilbud og skole", "Förskola och skola", "Day care and schools"),
                t(
                    "Leg og læring uden kønsstereotyper.",
                    "Lek och lärande utan könsstereotyper.",
                    "Play and learning without gender stereotypes.",
                ),
                "#2a7d40",
            ),
            ThemeSpec(
                "R2.2",
                t("Social og omsorg", "Socialtjänst och omsorg", "Social care and elderly care"),
                t(
                    "Ligeværdig hjælp og omsorg, der ser hele mennesket.",
                    "Likvärdig hjälp och omsorg som ser hela människan.",
                    "Equal help and care that sees the whole person.",
                ),
                "#185c2b",
                (
                    ThemeSpec(
                        "R2.2.1",
                        t(
                            "Ældre LGBT+ borgere i omsorgen",
                            "Äldre hbtq-personer i omsorgen",
                            "Older LGBT+ people in care",
                        ),
                        t(
                            "Ingen skal skjule deres liv, når de flytter på plejecenter.",
                            "Ingen ska behöva dölja sitt liv när de flyttar till ett äldreboende.",
                            "Nobody should have to hide their life when they move into a care home.",
                        ),
                        "#134d24",
                    ),
                ),
            ),
        ),
    ),
    ThemeSpec(
        "R3",
        t(
            "Alle borgere: en tryg og attraktiv kommune",
            "Alla invånare: en trygg och attraktiv kommun",
            "All citizens: a safe and attractive municipality",
        ),
        t(
            "En kommune, hvor alle uanset køn, identitet og seksualitet oplever tryghed og frihed til at leve "
            "deres liv og træffe egne valg.",
            "En kommun där alla, oavsett kön, identitet och sexualitet, känner trygghet och frihet att leva sina "
            "liv och göra egna val.",
            "A municipality where everyone, whatever their gender, identity or sexuality, feels safe and free to "
            "live their life and make their own choices.",
        ),
        "#7a3e9d",
        (
            ThemeSpec(
                "R3.1",
                t("Tryghed i byen", "Trygghet i staden", "Safety in public spaces"),
                t(
                    "Belysning, stier og pladser, hvor alle tør færdes.",
                    "Belysning, gångvägar och platser där alla vågar röra sig.",
                    "Lighting, paths and squares where everyone dares to go.",
                ),
                "#6a3389",
            ),
            ThemeSpec(
                "R3.2",
                t("Kultur, fritid og idræt for alle", "Kultur, fritid och idrott för alla",
                  "Culture, leisure and sport for all"),
                t(
                    "Foreninger og faciliteter, hvor alle kan være med.",
                    "Föreningar och anläggningar där alla kan vara med.",
                    "Clubs and facilities where everyone can take part.",
                ),
                "#5b2b77",
            ),
        ),
    ),
)


def _leaf(code: str, da: str, sv: str, en: str, colour: str) -> ThemeSpec:
    return ThemeSpec(code, t(da, sv, en), colour=colour)


_SERVICE = "#1d6b33"
_PLANNING = "#8a4b00"
_ADDED = "#a4161a"

CEMR_THEMES = (
    ThemeSpec(
        "P",
        t("Principper", "Principer", "Principles"),
        t(
            "Chartrets seks grundprincipper (2022-udgaven).",
            "Deklarationens sex grundprinciper (2022 års lydelse).",
            "The six principles of the Charter (2022 wording).",
        ),
        "#0b5394",
        (
            _leaf("P1", "Ligestilling er en grundlæggende rettighed", "Jämställdhet är en grundläggande rättighet",
                  "Equality of women and men is a fundamental right", "#0b5394"),
            _leaf("P2", "Multipel og krydsende diskrimination skal bekæmpes",
                  "Flerfaldig och intersektionell diskriminering måste motverkas",
                  "Multiple and intersecting discrimination must be addressed", "#0b5394"),
            _leaf("P3", "Ligelig deltagelse i beslutningstagning", "Jämn fördelning i beslutsfattandet",
                  "Balanced participation in decision-making", "#0b5394"),
            _leaf("P4", "Afskaffelse af kønsstereotyper", "Avskaffande av könsstereotyper",
                  "Eliminating gender stereotypes", "#0b5394"),
            _leaf("P5", "Kønsperspektivet integreres i alle aktiviteter",
                  "Jämställdhetsperspektivet integreras i all verksamhet",
                  "Integrating the gender perspective into all activities", "#0b5394"),
            _leaf("P6", "Velovervejede og finansierede handlingsplaner",
                  "Väl utformade och finansierade handlingsplaner",
                  "Properly conceived and funded action plans", "#0b5394"),
        ),
    ),
    ThemeSpec(
        "A",
        t("Artiklernes områder", "Artiklarnas områden", "Areas of the articles"),
        t(
            "De områder, chartrets artikler omsætter principperne til handling på.",
            "De områden där deklarationens artiklar omsätter principerna i handling.",
            "The areas in which the Charter's articles turn the principles into action.",
        ),
        "#073763",
        (
            _leaf("DEM", "Demokratisk ansvar", "Demokratiskt ansvar", "Democratic accountability", "#073763"),
            _leaf("POL", "Den politiske rolle", "Den politiska rollen", "Political role", "#073763"),
            _leaf("GEN", "Generelle rammer for ligestilling", "Allmänna ramar för jämställdhet",
                  "General framework for equality", "#073763"),
            _leaf("EMP", "Rollen som arbejdsgiver", "Rollen som arbetsgivare", "Employer role", "#073763"),
            _leaf("PRO", "Offentlige indkøb og kontrakter", "Offentlig upphandling", "Public procurement", "#073763"),
            ThemeSpec(
                "SER",
                t("Levering af ydelser", "Tillhandahållande av tjänster", "Service delivery"),
                colour=_SERVICE,
                children=(
                    _leaf("SER-EDU", "Uddannelse", "Utbildning", "Education", _SERVICE),
                    _leaf("SER-HEA", "Sundhed", "Hälsa", "Health", _SERVICE),
                    _leaf("SER-SOC", "Social omsorg og sociale ydelser", "Social omsorg och socialtjänst",
                          "Social care and social services", _SERVICE),
                    _leaf("SER-CHI", "Børnepasning", "Barnomsorg", "Childcare", _SERVICE),
                    _leaf("SER-DEP", "Omsorg for andre afhængige", "Omsorg om andra anhöriga",
                          "Care of other dependants", _SERVICE),
                    _leaf("SER-INC", "Social inklusion", "Social inkludering", "Social inclusion", _SERVICE),
                    _leaf("SER-HOU", "Boliger", "Bostäder", "Housing", _SERVICE),
                    _leaf("SER-CUL", "Kultur, idræt og fritid", "Kultur, idrott och fritid",
                          "Culture, sport and recreation", _SERVICE),
                    _leaf("SER-SAF", "Sikkerhed og tryghed", "Säkerhet och trygghet", "Safety and security", _SERVICE),
                    _leaf("SER-GBV", "Kønsbaseret vold", "Könsrelaterat våld", "Gender-based violence", _SERVICE),
                    _leaf("SER-TRA", "Menneskehandel", "Människohandel", "Human trafficking", _SERVICE),
                ),
            ),
            ThemeSpec(
                "PLA",
                t("Planlægning og bæredygtig udvikling", "Planering och hållbar utveckling",
                  "Planning and sustainable development"),
                colour=_PLANNING,
                children=(
                    _leaf("PLA-URB", "By- og lokalplanlægning", "Stads- och samhällsplanering",
                          "Urban and local planning", _PLANNING),
                    _leaf("PLA-MOB", "Mobilitet og transport", "Mobilitet och transporter",
                          "Mobility and transport", _PLANNING),
                    _leaf("PLA-ECO", "Økonomisk udvikling", "Ekonomisk utveckling", "Economic development", _PLANNING),
                    _leaf("PLA-ENV", "Miljø", "Miljö", "Environment", _PLANNING),
                ),
            ),
            _leaf("REG", "Rollen som myndighed", "Rollen som tillsynsmyndighet", "Regulator role", "#073763"),
            _leaf("TWI", "Venskabsbyer og internationalt samarbejde", "Vänorter och internationellt samarbete",
                  "Twinning and international cooperation", "#073763"),
        ),
    ),
    ThemeSpec(
        "N",
        t("Tilføjet i 2022", "Tillagt 2022", "Added in 2022"),
        t(
            "Artikler, der kom til ved revisionen af chartret i 2022.",
            "Artiklar som tillkom när deklarationen reviderades 2022.",
            "Articles added when the Charter was revised in 2022.",
        ),
        _ADDED,
        (
            _leaf("N-CYB", "Digital vold", "Nätvåld", "Cyber violence", _ADDED),
            _leaf("N-VER", "Vold mod folkevalgte", "Våld mot förtroendevalda",
                  "Violence against elected representatives", _ADDED),
            _leaf("N-INT", "Intersektionalitet", "Intersektionalitet", "Intersectionality", _ADDED),
            _leaf("N-FLX", "Fleksible arbejdsformer", "Flexibla arbetsformer", "Flexible working", _ADDED),
            _leaf("N-DIG", "Digital inklusion", "Digital inkludering", "Digital inclusion", _ADDED),
            _leaf("N-SRH", "Seksuel og reproduktiv sundhed og rettigheder",
                  "Sexuell och reproduktiv hälsa och rättigheter",
                  "Sexual and reproductive health and rights", _ADDED),
            _leaf("N-CLI", "Klimaforandringer", "Klimatförändringar", "Climate change", _ADDED),
            _leaf("N-PRE", "Civilt beredskab", "Civil beredskap", "Civil preparedness", _ADDED),
        ),
    ),
)

LERUM_THEMES = tuple(
    _leaf(code, da, sv, en, colour)
    for code, da, sv, en, colour in (
        ("L1", "Politisk og besluttende rolle", "Politisk och beslutsfattande roll",
         "Political and decision-making role", "#0b5394"),
        ("L2", "Service og ydelser", "Utbud av service och tjänster", "Services", "#1d6b33"),
        ("L3", "Arbejdsgiverrolle og personalepolitik", "Arbetsgivarroll och personalpolitik",
         "Employer role and personnel policy", "#174a6c"),
        ("L4", "Økonomisk virksomhed", "Ekonomisk verksamhet", "Economic activity", "#8a4b00"),
        ("L5", "Indkøb af varer og tjenester", "Upphandling av varor och tjänster",
         "Procurement of goods and services", "#5b2b77"),
        ("L6", "Kønsrelateret vold og menneskehandel", "Könsrelaterat våld och människohandel",
         "Gender-related violence and trafficking", "#a4161a"),
        ("L7", "Samfundsplanlægning og bæredygtig udvikling", "Samhällsplanering och hållbar utveckling",
         "Planning and sustainable development", "#4a5560"),
    )
)

POLICIES = (
    (
        DEMO_MARKER_POLICY,
        PolicyKind.municipal,
        t("Randers Kommunes kønsligestillingspolitik", "Randers kommuns jämställdhetspolicy",
          "Randers Municipality's gender equality policy"),
        t(
            "Alle uanset køn, identitet og seksuel orientering skal have lige muligheder og fri livsudfoldelse i "
            "leg, uddannelse, arbejde, familieliv og samfundet generelt. Vedtaget af byrådet.",
            "Alla, oavsett kön, identitet och sexuell läggning, ska ha lika möjligheter och kunna leva fritt i "
            "lek, utbildning, arbete, familjeliv och samhället i stort. Antagen av kommunfullmäktige.",
            "Everyone, whatever their gender, identity and sexual orientation, shall have equal opportunities and "
            "be free to live their life in play, education, work, family life and society. Adopted by the "
            "city council.",
        ),
        RANDERS_THEMES,
    ),
    (
        "cemr-charter",
        PolicyKind.charter,
        t(
            "Det europæiske charter for ligestilling mellem kvinder og mænd på lokalt plan (CEMR)",
            "Den europeiska deklarationen för jämställdhet på lokal och regional nivå (CEMR)",
            "European Charter for Equality of Women and Men in Local Life (CEMR)",
        ),
        t(
            "Seks principper og en række artikler, der fungerer som tjekliste ved beslutninger, planlægning, "
            "gennemførelse, opfølgning og evaluering.",
            "Sex principer och ett antal artiklar som fungerar som en vardagschecklista vid beslut, planering, "
            "genomförande, uppföljning och utvärdering.",
            "Six principles and a set of articles that work as a checklist for decisions, planning, "
            "implementation, follow-up and evaluation.",
        ),
        CEMR_THEMES,
    ),
    (
        "lerum-omraden",
        PolicyKind.areas,
        t("Lerums indsatsområder for ligestilling", "Lerums områden för jämställdhet", "Lerum's equality areas"),
        t(
            "De områder, Lerums kommune fremhævede, da den underskrev ligestillingsdeklarationen.",
            "De områden som Lerums kommun lyfte fram när den skrev under jämställdhetsdeklarationen.",
            "The areas Lerum Municipality highlighted when it signed the equality charter.",
        ),
        LERUM_THEMES,
    ),
)


async def _create_policies() -> dict[str, int]:
    """All three taxonomies; returns theme ids by "policy-code/theme-code"."""
    theme_ids: dict[str, int] = {}
    for code, kind, name, description, themes in POLICIES:
        policy = Policy(code=code, kind=kind.value, name=name, description=description)
        await policy.save()
        await _create_themes(policy.id, code, themes, None, 1, theme_ids)
    return theme_ids


async def _create_themes(
    policy_id: int, policy_code: str, specs: Iterable[ThemeSpec], parent_id: int | None, level: int,
    theme_ids: dict[str, int],
) -> None:
    for position, spec in enumerate(specs):
        theme = Theme(
            policy=policy_id,
            parent=parent_id,
            level=level,
            code=spec.code,
            name=spec.name,
            description=spec.description or {},
            colour=spec.colour or "#1f5f8b",
            position=position,
            theme_key=f"{policy_id}:{spec.code}",
        )
        await theme.save()
        theme_ids[f"{policy_code}/{spec.code}"] = theme.id
        await _create_themes(policy_id, policy_code, spec.children, theme.id, level + 1, theme_ids)


# --- places and organisation --------------------------------------------------------------------------------

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


# --- events ---------------------------------------------------------------------------------------------------

async def _event(
    *,
    slug: str,
    kind: EventKind,
    title: dict[str, str],
    summary: dict[str, str],
    description: dict[str, str],
    zone: str,
    starts_at: datetime,
    ends_at: datetime,
    venue_id: int | None,
    audiences: dict[AudienceCategory, int | None],
    occurrences: Iterable[tuple[datetime, datetime, bool, dict[str, str], int | None]] | None = None,
    **fields,
) -> int:
    """An event with its audiences and dates (one date unless ``occurrences`` are given)."""
    event = Event(
        slug=slug,
        kind=kind.value,
        title=title,
        summary=summary,
        description=description,
        timezone=zone,
        starts_at=starts_at,
        ends_at=ends_at,
        venue=venue_id,
        ical_uid=f"{uuid.uuid4()}@samrad",
        **fields,
    )
    await event.save()
    for category, quota in audiences.items():
        await EventAudience.insert(EventAudience(event=event.id, category=category.value, quota=quota))
    dates = list(occurrences) if occurrences is not None else [(starts_at, ends_at, False, {}, None)]
    if dates:
        await Occurrence.insert(
            *(
                Occurrence(event=event.id, starts_at=start, ends_at=end, cancelled=cancelled, note=note,
                           headcount=headcount)
                for start, end, cancelled, note, headcount in dates
            )
        )
    return event.id


ALL_QUESTIONS = ["org_unit", "organisation", "workshops", "access_needs", "diet", "pronouns", "follow_up"]


@dataclass
class DemoEvents:
    conference: int
    workshops: list[int]
    cafe: int
    trainings: list[int]
    network: int
    dialogue: int
    draft: int


async def _create_events(
    today: date, venues: dict[str, int], theme_names: dict[str, dict[str, str]]
) -> DemoEvents:
    now = datetime.now(UTC)
    conference_day = next_weekday(today + timedelta(days=42), 0)
    conference = await _event(
        slug=f"implementeringskonference-koensligestilling-{conference_day.year}",
        kind=EventKind.conference,
        title=t(
            "Implementeringskonference: kønsligestilling i Randers Kommune",
            "Implementeringskonferens: jämställdhet i Randers kommun",
            "Implementation conference: gender equality in Randers Municipality",
        ),
        summary=t(
            "Oplæg, teater og drøftelser, der sætter retningen for arbejdet med kommunens nye "
            "kønsligestillingspolitik.",
            "Föredrag, teater och samtal som stakar ut riktningen för arbetet med kommunens nya jämställdhetspolicy.",
            "Talks, theatre and discussions that set the direction for the municipality's new gender equality "
            "policy.",
        ),
        description=t(
            "Byrådet har vedtaget Randers Kommunes kønsligestillingspolitik: alle uanset køn, identitet og "
            "seksuel orientering skal have lige muligheder og fri livsudfoldelse i leg, uddannelse, arbejde, "
            "familieliv og samfundet generelt.\n\n"
            "Nu sætter vi implementeringen i gang. Konferencen er for medarbejdere, ledere, pårørenderåd, "
            "brugerråd og bestyrelser på dagtilbuds-, skole-, social- og omsorgsområdet, for byrådsmedlemmer og "
            "for interesserede borgere.\n\n"
            "Gennem oplæg og teater får du forskellige perspektiver på kønsligestilling. Om eftermiddagen "
            "drøfter vi politikkens tre temaer i workshops, og dine input bliver brugt i den videre "
            "implementering og opfølgning.",
            "Kommunfullmäktige har antagit Randers kommuns jämställdhetspolicy: alla, oavsett kön, identitet och "
            "sexuell läggning, ska ha lika möjligheter och kunna leva fritt i lek, utbildning, arbete, familjeliv "
            "och samhället i stort.\n\n"
            "Nu startar genomförandet. Konferensen vänder sig till medarbetare, chefer, anhörigråd, brukarråd och "
            "styrelser inom förskola, skola, socialtjänst och omsorg, till förtroendevalda och till intresserade "
            "invånare.\n\n"
            "Genom föredrag och teater får du olika perspektiv på jämställdhet. På eftermiddagen diskuterar vi "
            "policyns tre teman i workshoppar, och dina synpunkter används i det fortsatta genomförandet och "
            "uppföljningen.",
            "The city council has adopted Randers Municipality's gender equality policy: everyone, whatever their "
            "gender, identity and sexual orientation, shall have equal opportunities and be free to live their "
            "life in play, education, work, family life and society.\n\n"
            "Now the implementation begins. The conference is for staff, managers, relatives' councils, user "
            "councils and boards in day care, schools, social care and elderly care, for council members and for "
            "interested citizens.\n\n"
            "Talks and theatre give you different perspectives on gender equality. In the afternoon we discuss the "
            "policy's three themes in workshops, and your input feeds the implementation and follow-up.",
        ),
        programme=t(
            "08:30 Ankomst, morgenmad og registrering\n"
            "09:00 Velkomst ved borgmesteren\n"
            "09:20 Oplæg: Hvad betyder kønsligestilling i en kommune?\n"
            "10:15 Teater: »Hvem bestemmer, hvem du er?« – forumteater om normer i hverdagen\n"
            "11:15 Oplæg: Politikkens tre temaer – fra papir til praksis\n"
            "12:00 Frokost\n"
            "13:00 Workshops (vælg én ved tilmeldingen)\n"
            "14:30 Kaffe og opsamling i plenum\n"
            "15:15 Tak for i dag og næste skridt",
            "08:30 Ankomst, frukost och registrering\n"
            "09:00 Välkommen, borgmästaren inleder\n"
            "09:20 Föredrag: Vad betyder jämställdhet i en kommun?\n"
            "10:15 Teater: ”Vem bestämmer vem du är?” – forumteater om normer i vardagen\n"
            "11:15 Föredrag: Policyns tre teman – från papper till praktik\n"
            "12:00 Lunch\n"
            "13:00 Workshoppar (välj en när du anmäler dig)\n"
            "14:30 Kaffe och gemensam sammanfattning\n"
            "15:15 Avslutning och nästa steg",
            "08:30 Arrival, breakfast and registration\n"
            "09:00 Welcome by the mayor\n"
            "09:20 Talk: What does gender equality mean for a municipality?\n"
            "10:15 Theatre: “Who decides who you are?” – forum theatre about everyday norms\n"
            "11:15 Talk: The policy's three themes – from paper to practice\n"
            "12:00 Lunch\n"
            "13:00 Workshops (choose one when you register)\n"
            "14:30 Coffee and plenary summary\n"
            "15:15 Closing and next steps",
        ),
        zone=COPENHAGEN,
        starts_at=at(conference_day, 8, 30, COPENHAGEN),
        ends_at=at(conference_day, 15, 30, COPENHAGEN),
        venue_id=venues["randers"],
        audiences={
            AudienceCategory.staff: None,
            AudienceCategory.leader: None,
            AudienceCategory.council: 60,
            AudienceCategory.elected: None,
            AudienceCategory.citizen: None,
        },
        capacity=250,
        waitlist_enabled=True,
        questions=ALL_QUESTIONS,
        registration_opens_at=now - timedelta(days=14),
        registration_closes_at=at(conference_day - timedelta(days=7), 23, 59, COPENHAGEN),
        organiser_email=f"organiser@{DEMO_EMAIL_DOMAIN}",
    )
    workshop_ids = await _create_workshops(conference, conference_day, theme_names)

    cafe = await _create_cafe(today, venues["perrongen"])
    trainings = await _create_trainings(today, venues["soderhamn"])
    network = await _create_network_meeting(today, venues["karlstad"])
    dialogue = await _create_dialogue_meeting(today, venues["randers-radhus"])
    draft = await _create_draft_training(today, venues["soderhamn"])
    return DemoEvents(conference, workshop_ids, cafe, trainings, network, dialogue, draft)


# (title, description, theme code, room, capacity)
WORKSHOPS = (
    (
        t("Lige muligheder på arbejdspladsen", "Lika möjligheter på arbetsplatsen", "Equal opportunities at work"),
        t(
            "Hvordan sikrer vi lige løn, karriere og trygge rammer for alle medarbejdere og ledere – og hvad gør "
            "vi, når nogen bliver krænket?",
            "Hur säkrar vi lika lön, karriär och trygga ramar för alla medarbetare och chefer – och vad gör vi "
            "när någon blir kränkt?",
            "How do we secure equal pay, careers and a safe workplace for all staff and managers – and what do we "
            "do when someone is harassed?",
        ),
        "R1",
        "Lokale 1.10",
        70,
    ),
    (
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
        "R2.1",
        "Lokale 1.12",
        70,
    ),
    (
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
        "R2.2",
        "Lokale 2.01",
        60,
    ),
    (
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
        "R3",
        "Store Sal",
        50,
    ),
)


async def _create_workshops(event_id: int, day: date, theme_names: dict[str, dict[str, str]]) -> list[int]:
    ids = []
    for position, (title, description, theme_code, room, capacity) in enumerate(WORKSHOPS):
        theme_name = theme_names[theme_code]
        linked = {
            "da": f"{description['da']}\n\nTema: {theme_name['da']} ({theme_code}).",
            "sv": f"{description['sv']}\n\nTema: {theme_name['sv']} ({theme_code}).",
            "en": f"{description['en']}\n\nTheme: {theme_name['en']} ({theme_code}).",
        }
        workshop = Workshop(
            event=event_id,
            title=title,
            description=linked,
            room=room,
            starts_at=at(day, 13, 0, COPENHAGEN),
            ends_at=at(day, 14, 30, COPENHAGEN),
            capacity=capacity,
            position=position,
            input_code=new_ticket_code(8),
        )
        await workshop.save()
        ids.append(workshop.id)
    return ids


def _in_holiday_break(day: date) -> dict[str, str] | None:
    """Katrineholm's café pauses in summer and over Christmas and New Year; the note says why."""
    if date(day.year, 6, 24) <= day <= date(day.year, 8, 10):
        return t("Sommerpause – vi ses igen i august!", "Sommaruppehåll – vi ses igen i augusti!",
                 "Summer break – see you again in August!")
    if day >= date(day.year, 12, 21) or day <= date(day.year, 1, 6):
        return t("Juleferie – vi ses igen i januar!", "Jullovsuppehåll – vi ses igen i januari!",
                 "Christmas break – see you again in January!")
    return None


PAST_CAFE_HEADCOUNTS = (9, 12, 8, 11, 10, 13)


async def _create_cafe(today: date, venue_id: int) -> int:
    """A weekly drop-in series: six past dates with headcounts, then about six months ahead with breaks."""
    start = today - timedelta(weeks=len(PAST_CAFE_HEADCOUNTS))
    first_day = start + timedelta(days=(3 - start.weekday()) % 7)
    last_day = first_day + timedelta(weeks=len(PAST_CAFE_HEADCOUNTS) + 26)
    until = at(last_day, 20, 0, STOCKHOLM).strftime("%Y%m%dT%H%M%SZ")
    rule = f"FREQ=WEEKLY;BYDAY=TH;UNTIL={until}"
    local_start = datetime.combine(first_day, time(17, 0), tzinfo=ZoneInfo(STOCKHOLM))
    past_counts = iter(PAST_CAFE_HEADCOUNTS)
    occurrences = []
    for start in rrulestr(rule, dtstart=local_start):
        day = start.date()
        note = _in_holiday_break(day)
        headcount = next(past_counts, None) if day < today and not note else None
        occurrences.append(
            (at(day, 17, 0, STOCKHOLM), at(day, 20, 0, STOCKHOLM), note is not None, note or {}, headcount)
        )
    return await _event(
        slug="mogai-hbtq-kafe",
        kind=EventKind.cafe,
        title=t("MOGAI – LGBTQ-café", "MOGAI – kommunens hbtq-kafé", "MOGAI – LGBTQ café"),
        summary=t(
            "Et trygt mødested for LGBTQ-personer og venner hver torsdag. Kom som du er – ingen tilmelding.",
            "En trygg mötesplats för hbtq-personer och vänner varje torsdag. Kom som du är – ingen anmälan.",
            "A safe meeting place for LGBTQ people and friends every Thursday. Come as you are – no registration.",
        ),
        description=t(
            "MOGAI er kommunens LGBTQ-café på Perrongen. Omkring ti personer kigger forbi hver uge til kaffe, "
            "spil og snak.\n\n"
            "Du behøver ikke tilmelde dig, og vi skriver ikke navne ned: personalet tæller kun, hvor mange der "
            "kommer. Vil du have en påmindelse, kan du tilmelde dig frivilligt – din tilmelding ses kun af dig "
            "og slettes kort efter.\n\n"
            "Caféen holder pause i sommerferien og hen over jul og nytår.",
            "MOGAI är kommunens hbtq-kafé på Perrongen. Runt tio personer kommer varje vecka för fika, spel och "
            "samtal.\n\n"
            "Du behöver inte anmäla dig och vi skriver inte upp några namn: personalen räknar bara hur många som "
            "kommer. Vill du ha en påminnelse kan du anmäla dig frivilligt – anmälan syns bara för dig och "
            "raderas kort efteråt.\n\n"
            "Kaféet har uppehåll under sommaren och över jul och nyår.",
            "MOGAI is the municipality's LGBTQ café at Perrongen. Around ten people drop by every week for "
            "coffee, games and a chat.\n\n"
            "You do not need to register and we do not write down names: staff only count how many come. If you "
            "would like a reminder you can sign up voluntarily – only you see your sign-up, and it is deleted "
            "soon after.\n\n"
            "The café takes a break in the summer and over Christmas and New Year.",
        ),
        zone=STOCKHOLM,
        starts_at=occurrences[0][0],
        ends_at=occurrences[0][1],
        venue_id=venue_id,
        audiences={AudienceCategory.citizen: None},
        occurrences=occurrences,
        recurrence_rule=rule,
        registration_mode=RegistrationMode.dropin.value,
        capacity=None,
        waitlist_enabled=False,
        questions=[],
        sensitive=True,
        retention_days=7,
        organiser_email=f"organiser@{DEMO_EMAIL_DOMAIN}",
    )


TRAINING_DESCRIPTION = t(
    "Kommunalbestyrelsen har besluttet, at 30 % af medarbejderne og de folkevalgte i hvert udvalg og hver "
    "forvaltning skal gennemføre RFSL's HBTQ-uddannelse i år. Uddannelsen giver en første indsigt i HBTQ-"
    "spørgsmål: arbejdsmiljø, hvordan vi møder borgerne, og hvordan normer påvirker os.\n\n"
    "Uddannelsen følger kommunens fokusområde lighed og forpligtelserne i CEMR-deklarationen. Den evalueres "
    "i december.",
    "Kommunfullmäktige har beslutat att 30 % av personalen och de förtroendevalda i varje nämnd och "
    "förvaltning ska genomgå RFSL:s hbtq-utbildning under året. Utbildningen ger en första inblick i hbtq-"
    "frågor: arbetsmiljö, bemötande och hur normer påverkar oss.\n\n"
    "Utbildningen går i linje med kommunens fokusområde jämlikhet och åtagandena i CEMR-deklarationen. Den "
    "utvärderas i december.",
    "The municipal council has decided that 30 % of staff and elected officials in every committee and "
    "administration take RFSL's LGBTQ training this year. The course gives a first insight into LGBTQ "
    "questions: the working environment, how we meet residents, and how norms affect us.\n\n"
    "The training follows the municipality's equality focus and its commitments under the CEMR charter. It is "
    "evaluated in December.",
)

TRAINING_AUDIENCES = {AudienceCategory.staff: None, AudienceCategory.leader: None, AudienceCategory.elected: 6}


async def _create_trainings(today: date, venue_id: int) -> list[int]:
    ids = []
    for number, weeks in enumerate((3, 5, 8, 12), start=1):
        day = next_weekday(today + timedelta(weeks=weeks), 1 if number % 2 else 3)
        ids.append(
            await _event(
                slug=f"hbtq-utbildning-{day.isoformat()}",
                kind=EventKind.training,
                title=t(
                    f"HBTQ-uddannelse med RFSL, hold {number}",
                    f"Hbtq-utbildning med RFSL, tillfälle {number}",
                    f"LGBTQ training with RFSL, session {number}",
                ),
                summary=t(
                    "Grundkursus i HBTQ-spørgsmål for medarbejdere, ledere og folkevalgte.",
                    "Grundkurs i hbtq-frågor för medarbetare, chefer och förtroendevalda.",
                    "An introductory LGBTQ course for staff, managers and elected officials.",
                ),
                description=TRAINING_DESCRIPTION,
                zone=STOCKHOLM,
                starts_at=at(day, 13, 0, STOCKHOLM),
                ends_at=at(day, 16, 0, STOCKHOLM),
                venue_id=venue_id,
                audiences=TRAINING_AUDIENCES,
                capacity=30,
                waitlist_enabled=True,
                questions=["org_unit", "access_needs", "diet"],
                coverage_target_percent=30,
                registration_closes_at=at(day - timedelta(days=2), 12, 0, STOCKHOLM),
                organiser_email=f"organiser@{DEMO_EMAIL_DOMAIN}",
            )
        )
    return ids


async def _create_draft_training(today: date, venue_id: int) -> int:
    """Not yet published: what an organiser is still preparing."""
    day = next_weekday(today + timedelta(weeks=20), 2)
    return await _event(
        slug=f"hbtq-utbildning-nyanstallda-{day.year}",
        kind=EventKind.training,
        title=t(
            "HBTQ-uddannelse for nyansatte",
            "Hbtq-utbildning för nyanställda",
            "LGBTQ training for new staff",
        ),
        summary=t(
            "Den årlige uddannelse for nyansatte og medarbejdere, der vil opdatere deres viden.",
            "Det årliga utbildningstillfället för nyanställda och för dig som vill uppdatera dina kunskaper.",
            "The yearly session for new staff and for anyone who wants to refresh their knowledge.",
        ),
        description=TRAINING_DESCRIPTION,
        zone=STOCKHOLM,
        starts_at=at(day, 9, 0, STOCKHOLM),
        ends_at=at(day, 12, 0, STOCKHOLM),
        venue_id=venue_id,
        audiences=TRAINING_AUDIENCES,
        capacity=40,
        questions=["org_unit", "access_needs", "diet"],
        coverage_target_percent=30,
        published=False,
        organiser_email=f"organiser@{DEMO_EMAIL_DOMAIN}",
    )


async def _create_network_meeting(today: date, venue_id: int) -> int:
    day = next_weekday(today + timedelta(weeks=4), 2)
    return await _event(
        slug=f"natverkstraff-jamstallt-varmland-{day.isoformat()}",
        kind=EventKind.meeting,
        title=t(
            "Netværksmøde: kortlægning og handlingsplaner for ligestilling",
            "Nätverksträff: kartläggning och handlingsplaner för jämställdhet",
            "Network meeting: mapping and action plans for equality",
        ),
        summary=t(
            "Processledere fra kommuner og regioner deler metoder til kortlægning, analyse og opfølgning efter "
            "CEMR-deklarationen.",
            "Processledare från kommuner och regioner delar arbetssätt för kartläggning, analys och uppföljning "
            "enligt CEMR-deklarationen.",
            "Process leaders from municipalities and regions share ways to map, analyse and follow up under the "
            "CEMR charter.",
        ),
        description=t(
            "Vi mødes om et fælles arbejdssæt: kortlægning og analyse, der fører til aktive handlinger i "
            "forvaltningernes og selskabernes ligestillings- og mangfoldighedsplaner. Eksempler fra "
            "kortlægningen: mænd tager mindre forældreorlov og omsorgsdage end kvinder, og kvinder har mere "
            "sygefravær.\n\n"
            "Lerum fortæller om at bruge deklarationen som tjekliste ved beslutninger, planlægning, "
            "gennemførelse og opfølgning.",
            "Vi träffas kring ett gemensamt arbetssätt: kartläggning och analys som leder till aktiva åtgärder i "
            "förvaltningarnas och bolagens jämställdhets- och mångfaldsplaner. Exempel från kartläggningen: män "
            "tar ut mindre föräldraledighet och vård av barn än kvinnor, och kvinnor har högre sjukfrånvaro.\n\n"
            "Lerum berättar om att använda deklarationen som vardagschecklista vid beslut, planering, "
            "genomförande och uppföljning.",
            "We meet around a shared way of working: mapping and analysis that lead to concrete measures in the "
            "equality and diversity plans of administrations and municipal companies. Findings so far: men take "
            "less parental leave and fewer days to care for sick children than women, and women have more sick "
            "leave.\n\n"
            "Lerum explains how it uses the charter as an everyday checklist for decisions, planning, "
            "implementation and follow-up.",
        ),
        zone=STOCKHOLM,
        starts_at=at(day, 9, 30, STOCKHOLM),
        ends_at=at(day, 15, 0, STOCKHOLM),
        venue_id=venue_id,
        audiences={AudienceCategory.staff: None, AudienceCategory.leader: None, AudienceCategory.partner: None},
        capacity=20,
        waitlist_enabled=True,
        questions=["organisation", "access_needs", "diet", "follow_up"],
        organiser_email=f"organiser@{DEMO_EMAIL_DOMAIN}",
    )


async def _create_dialogue_meeting(today: date, venue_id: int) -> int:
    """A past open meeting whose input (below) is tagged and followed up."""
    day = previous_weekday(today - timedelta(weeks=6), 1)
    return await _event(
        slug=f"dialogmoede-koensligestilling-{day.isoformat()}",
        kind=EventKind.meeting,
        title=t(
            "Åbent dialogmøde om kønsligestillingspolitikken",
            "Öppet dialogmöte om jämställdhetspolicyn",
            "Open dialogue meeting on the gender equality policy",
        ),
        summary=t(
            "Borgere, brugerråd og medarbejdere gav deres bud på, hvad politikken skal betyde i hverdagen.",
            "Invånare, brukarråd och medarbetare gav sina förslag på vad policyn ska betyda i vardagen.",
            "Citizens, user councils and staff said what the policy should mean in everyday life.",
        ),
        description=t(
            "Et åbent møde uden tilmelding. Input fra bordene er samlet og koblet til politikkens temaer.",
            "Ett öppet möte utan anmälan. Synpunkterna från borden är samlade och kopplade till policyns teman.",
            "An open meeting without registration. Input from the tables has been collected and linked to the "
            "policy's themes.",
        ),
        zone=COPENHAGEN,
        starts_at=at(day, 17, 0, COPENHAGEN),
        ends_at=at(day, 19, 30, COPENHAGEN),
        venue_id=venue_id,
        audiences={AudienceCategory.citizen: None, AudienceCategory.council: None, AudienceCategory.staff: None},
        occurrences=[(at(day, 17, 0, COPENHAGEN), at(day, 19, 30, COPENHAGEN), False, {}, 41)],
        registration_mode=RegistrationMode.dropin.value,
        waitlist_enabled=False,
        questions=[],
        organiser_email=f"organiser@{DEMO_EMAIL_DOMAIN}",
    )


# --- input and follow-up --------------------------------------------------------------------------------------

# (text, language, source, speaker category, status, theme keys)
INPUT = (
    ("Ledere skal have redskaber til at tale om sexchikane, før det sker – ikke først når der er en sag.",
     "da", InputSource.facilitator, "staff", InputStatus.accepted, ("R/R1.2", "C/EMP")),
    ("Lønstatistik fordelt på køn i hvert område, så vi kan se forskellene.",
     "da", InputSource.facilitator, "staff", InputStatus.accepted, ("R/R1.1", "C/EMP", "L/L3")),
    ("Flere mandlige pædagoger i dagtilbud – gør det synligt, når vi rekrutterer.",
     "da", InputSource.facilitator, "council", InputStatus.accepted, ("R/R2.1", "C/SER-CHI", "C/P4")),
    ("Seksualundervisningen i skolen skal også handle om køn og identitet, ikke kun om biologi.",
     "da", InputSource.participant, "citizen", InputStatus.accepted, ("R/R2.1", "C/SER-EDU")),
    ("Ældre homoseksuelle på plejecentrene skjuler ofte deres liv. Personalet skal spørge åbent.",
     "da", InputSource.facilitator, "council", InputStatus.accepted, ("R/R2.2.1", "C/SER-DEP", "C/P2")),
    ("Breve fra kommunen går ud fra, at der er en mor og en far. Skriv »forældre«.",
     "da", InputSource.participant, "citizen", InputStatus.accepted, ("R/R2", "C/P5")),
    ("Bedre belysning på stien langs Gudenåen – mange kvinder undgår den om aftenen.",
     "da", InputSource.facilitator, "citizen", InputStatus.accepted, ("R/R3.1", "C/SER-SAF", "C/PLA-URB", "L/L7")),
    ("Omklædningsrum i hallerne, hvor man kan klæde om alene.",
     "da", InputSource.participant, "citizen", InputStatus.accepted, ("R/R3.2", "C/SER-CUL")),
    ("Foreningstilskud kunne kræve en plan for, hvordan alle køn får plads i foreningen.",
     "da", InputSource.facilitator, "citizen", InputStatus.new, ("R/R3.2", "C/SER-CUL")),
    ("Hvordan sikrer vi, at brugerrådene har både mænd og kvinder – og plads til dem, der er ingen af delene?",
     "da", InputSource.facilitator, "council", InputStatus.accepted, ("C/P3", "C/POL", "L/L1")),
    ("Trygghetsvandringar tillsammans med unga hbtq-personer, de vet var det känns otryggt.",
     "sv", InputSource.participant, "citizen", InputStatus.accepted, ("R/R3.1", "C/SER-SAF")),
    ("Publish the equality action plan in plain language, and in English too.",
     "en", InputSource.participant, "citizen", InputStatus.new, ("R/R2", "C/GEN", "C/P6")),
)

# (title, description, status, progress, theme key, responsible unit code, days until due, input indexes)
FOLLOW_UPS = (
    (
        t("Tryghedsvandring og bedre belysning langs Gudenåen", "Trygghetsvandring och bättre belysning längs Gudenå",
          "Safety walk and better lighting along the Gudenå path"),
        t(
            "Teknik og Miljø gennemfører en tryghedsvandring sammen med borgere og unge LGBT+ personer og "
            "prioriterer ny belysning på de strækninger, der opleves utrygge.",
            "Teknik och miljö genomför en trygghetsvandring tillsammans med invånare och unga hbtq-personer och "
            "prioriterar ny belysning på de sträckor som upplevs otrygga.",
            "Technical and environmental services hold a safety walk with citizens and young LGBT+ people and "
            "prioritise new lighting where the path feels unsafe.",
        ),
        FollowUpStatus.in_progress, 40, "R/R3.1", None, 120, (6, 10),
    ),
    (
        t("Inkluderende sprog i breve og skemaer", "Inkluderande språk i brev och blanketter",
          "Inclusive language in letters and forms"),
        t(
            "Standardbreve og blanketter gennemgås, så de ikke forudsætter en mor og en far.",
            "Standardbrev och blanketter ses över så att de inte förutsätter en mamma och en pappa.",
            "Standard letters and forms are reviewed so that they do not assume a mother and a father.",
        ),
        FollowUpStatus.planned, 0, "R/R2", "RK-DAG", 200, (5,),
    ),
    (
        t("Kønsopdelt lønstatistik i alle områder", "Könsuppdelad lönestatistik inom alla områden",
          "Pay statistics by gender in every area"),
        t(
            "HR offentliggør hvert år lønstatistik fordelt på køn for hvert område.",
            "HR publicerar varje år lönestatistik uppdelad på kön för varje område.",
            "HR publishes pay statistics by gender for every area once a year.",
        ),
        FollowUpStatus.done, 100, "R/R1.1", None, -10, (1,),
    ),
)

_POLICY_PREFIX = {"R": DEMO_MARKER_POLICY, "C": "cemr-charter", "L": "lerum-omraden"}


def _theme_id(theme_ids: dict[str, int], key: str) -> int:
    prefix, code = key.split("/", 1)
    return theme_ids[f"{_POLICY_PREFIX[prefix]}/{code}"]


async def _create_input(event_id: int, meeting_at: datetime, theme_ids: dict[str, int],
                        unit_ids: dict[str, int]) -> None:
    item_ids = []
    for index, (text, language, source, speaker, status, theme_keys) in enumerate(INPUT):
        item = InputItem(
            event=event_id,
            text=text,
            language=language,
            source=source.value,
            speaker_category=speaker,
            status=status.value,
            created_at=meeting_at + timedelta(minutes=20 + 7 * index),
        )
        await item.save()
        item_ids.append(item.id)
        for key in theme_keys:
            theme_id = _theme_id(theme_ids, key)
            await InputTag.insert(InputTag(input_item=item.id, theme=theme_id, tag_key=f"{item.id}:{theme_id}"))
    today = date.today()
    for title, description, status, progress, theme_key, unit, due_in, inputs in FOLLOW_UPS:
        follow_up = FollowUp(
            theme=_theme_id(theme_ids, theme_key),
            title=title,
            description=description,
            status=status.value,
            progress=progress,
            responsible_unit=unit_ids[unit] if unit else None,
            due_on=today + timedelta(days=due_in),
        )
        await follow_up.save()
        for index in inputs:
            await FollowUpInput.insert(
                FollowUpInput(follow_up=follow_up.id, input_item=item_ids[index],
                              link_key=f"{follow_up.id}:{item_ids[index]}")
            )


# --- registrations --------------------------------------------------------------------------------------------

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


def _conference_signups(events: DemoEvents, units: dict[str, int], people: People) -> list[Signup]:
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
                event_id=events.conference,
                person=person,
                category=category,
                org_unit_id=rng.choice(randers_units)
                if category in {AudienceCategory.staff, AudienceCategory.leader} else None,
                organisation=rng.choice(COUNCILS) if category is AudienceCategory.council else "",
                workshop_ids=(rng.choices(events.workshops, weights=(4, 3, 3, 2))[0],),
                access_needs=needs,
                diet=rng.choice(DIETS) if rng.random() < 0.2 else "",
                follow_up_opt_in=rng.random() < 0.4,
            )
        )
    return signups


def _training_signups(events: DemoEvents, units: dict[str, int], people: People) -> list[Signup]:
    rng = people.rng
    administrations = ["SH-KSF", "SH-BUF", "SH-ASF", "SH-KFF"]
    committees = ["SH-KS", "SH-BUN", "SH-ASN", "SH-KFN"]
    signups = []
    for session, count in zip(events.trainings, (18, 13, 9, 5), strict=True):
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


def _network_signups(events: DemoEvents, people: People) -> list[Signup]:
    """One more than fit: the last three wait for a cancellation."""
    rng = people.rng
    signups = []
    for index in range(23):
        category = AudienceCategory.partner if index % 4 == 2 else (
            AudienceCategory.leader if index % 3 == 0 else AudienceCategory.staff
        )
        signups.append(
            Signup(
                event_id=events.network,
                person=people.make(swedish=True, locale="sv"),
                category=category,
                organisation=rng.choice(NETWORK_ORGANISATIONS),
                diet=rng.choice(("vegetarisk", "vegansk")) if rng.random() < 0.2 else "",
                follow_up_opt_in=index % 2 == 0,
            )
        )
    return signups


async def _register_all(signups: list[Signup]) -> None:
    """Through the real service, so counters, tickets, tokens and confirmation emails are what users get.

    ``register`` normally runs its own transaction (its retry after a concurrent duplicate needs that); the
    demo has no concurrency and unique addresses, so it runs inside the demo's one transaction.
    """
    from events.services import RegistrationInput, register
    from workshops.services import WorkshopSeatPlan

    seats = WorkshopSeatPlan()
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


# --- staff accounts -------------------------------------------------------------------------------------------

STAFF = (
    (Role.admin, "Demo Admin"),
    (Role.organiser, "Demo Organiser"),
    (Role.facilitator, "Demo Facilitator"),
    (Role.checkin, "Demo Check-in"),
)


async def _create_staff() -> list[tuple[str, str, str]]:
    """Demo accounts that do not exist yet, with fresh random passwords: (role, email, password)."""
    created = []
    for role, name in STAFF:
        email = f"{role.value}@{DEMO_EMAIL_DOMAIN}"
        if await StaffUser.exists().where(StaffUser.email == email):
            continue
        password = secrets.token_urlsafe(12)
        await create_staff_user(email, name, password, role.value)
        created.append((role.value, email, password))
    return created


def _print_credentials(created: list[tuple[str, str, str]]) -> None:
    base_url = get_settings().base_url
    rule = "=" * 72
    lines = [rule, "  Samråd demo staff accounts – the passwords are shown only this once", rule]
    if created:
        for role, email, password in created:
            lines.append(f"  {role:<12} {email:<36} {password}")
    else:
        lines.append("  The demo accounts already existed; their passwords were not changed.")
    lines += [f"  Log in at {base_url}/staff/login", rule]
    print("\n".join(lines), flush=True)


# --- entry point ----------------------------------------------------------------------------------------------

async def load_demo(only_if_empty: bool = False) -> int:
    """Load the demo; returns a process exit code. With ``only_if_empty`` nothing happens when events exist."""
    if await Event.count() > 0:
        if only_if_empty:
            return 0
        if await Policy.exists().where(Policy.code == DEMO_MARKER_POLICY):
            print("The demo data is already loaded; nothing was changed.", flush=True)
            return 1
    today = datetime.now(ZoneInfo(COPENHAGEN)).date()
    # One transaction: the demo is loaded completely or not at all, and one commit keeps it fast.
    async with db.atomic():
        theme_ids = await _create_policies()
        venues, units = await _create_places()
        events = await _create_events(today, venues, _theme_names(RANDERS_THEMES))
        dialogue = await Event.select(Event.starts_at).where(Event.id == events.dialogue).first()
        await _create_input(events.dialogue, dialogue["starts_at"], theme_ids, units)
        people = People(seed=2021)
        await _register_all(
            _conference_signups(events, units, people)
            + _training_signups(events, units, people)
            + _network_signups(events, people)
        )
        created = await _create_staff()
    _print_credentials(created)
    return 0


def _theme_names(specs: Iterable[ThemeSpec]) -> dict[str, dict[str, str]]:
    names: dict[str, dict[str, str]] = {}
    for spec in specs:
        names[spec.code] = spec.name
        names.update(_theme_names(spec.children))
    return names
