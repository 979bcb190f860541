"""The feedback area's demo data: three theme taxonomies (the data in ``feedback.demo_taxonomies``), the theme
each conference workshop discusses, and the input and follow-ups of Randers' past dialogue meeting.

``load`` runs after the events and workshops areas' (see ``Area.demo``): it reads ``dialogue`` and
``org_units`` (from events) and ``workshops`` (from workshops) from the shared dictionary and adds ``themes``,
their ids by "policy-code/theme-code".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from events.tables import Event
from feedback.demo_taxonomies import POLICIES, RANDERS_POLICY_CODE, RANDERS_THEMES, ThemeSpec
from feedback.tables import (
    FollowUp,
    FollowUpInput,
    FollowUpStatus,
    InputItem,
    InputSource,
    InputStatus,
    InputTag,
    Policy,
    Theme,
)
from samrad.core.demo_support import t
from workshops.tables import Workshop

# The Randers theme each conference workshop discusses (by the workshops area's demo keys).
WORKSHOP_THEMES = {"workplace": "R1", "schools": "R2.1", "care": "R2.2", "safety": "R3"}


async def load(demo: dict[str, Any]) -> None:
    """The taxonomies first: the workshops' descriptions, the input tags and the follow-ups name their themes."""
    theme_ids = await _create_policies()
    await _name_workshop_themes(demo["workshops"])
    dialogue = await Event.select(Event.starts_at).where(Event.id == demo["dialogue"]).first()
    await _create_input(demo["dialogue"], dialogue["starts_at"], theme_ids, demo["org_units"])
    demo["themes"] = theme_ids


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


async def _name_workshop_themes(workshop_ids: dict[str, int]) -> None:
    """End each workshop's description with the theme it discusses, in each language."""
    theme_names = _theme_names(RANDERS_THEMES)
    for key, theme_code in WORKSHOP_THEMES.items():
        workshop_id = workshop_ids[key]
        row = await (
            Workshop.select(Workshop.description).where(Workshop.id == workshop_id).output(load_json=True).first()
        )
        description, theme_name = row["description"], theme_names[theme_code]
        linked = {
            "da": f"{description['da']}\n\nTema: {theme_name['da']} ({theme_code}).",
            "sv": f"{description['sv']}\n\nTema: {theme_name['sv']} ({theme_code}).",
            "en": f"{description['en']}\n\nTheme: {theme_name['en']} ({theme_code}).",
        }
        await Workshop.update({Workshop.description: linked}).where(Workshop.id == workshop_id)


def _theme_names(specs: Iterable[ThemeSpec]) -> dict[str, dict[str, str]]:
    names: dict[str, dict[str, str]] = {}
    for spec in specs:
        names[spec.code] = spec.name
        names.update(_theme_names(spec.children))
    return names


# --- input and follow-up --------------------------------------------------------------------------------------

# (text, language, source, speaker category, status, theme keys)
INPUT = (
    ("Ledere skal have redskaber til at tale om sexchikane, før det sker – ikke først når der er en sag.",
     "da", InputSource.facilitator, "staff", InputStatus.published, ("R/R1.2", "C/EMP")),
    ("Lønstatistik fordelt på køn i hvert område, så vi kan se forskellene.",
     "da", InputSource.facilitator, "staff", InputStatus.published, ("R/R1.1", "C/EMP", "L/L3")),
    ("Flere mandlige pædagoger i dagtilbud – gør det synligt, når vi rekrutterer.",
     "da", InputSource.facilitator, "council", InputStatus.published, ("R/R2.1", "C/SER-CHI", "C/P4")),
    ("Seksualundervisningen i skolen skal også handle om køn og identitet, ikke kun om biologi.",
     "da", InputSource.participant, "citizen", InputStatus.published, ("R/R2.1", "C/SER-EDU")),
    ("Ældre homoseksuelle på plejecentrene skjuler ofte deres liv. Personalet skal spørge åbent.",
     "da", InputSource.facilitator, "council", InputStatus.published, ("R/R2.2.1", "C/SER-DEP", "C/P2")),
    ("Breve fra kommunen går ud fra, at der er en mor og en far. Skriv »forældre«.",
     "da", InputSource.participant, "citizen", InputStatus.published, ("R/R2", "C/P5")),
    ("Bedre belysning på stien langs Gudenåen – mange kvinder undgår den om aftenen.",
     "da", InputSource.facilitator, "citizen", InputStatus.published, ("R/R3.1", "C/SER-SAF", "C/PLA-URB", "L/L7")),
    ("Omklædningsrum i hallerne, hvor man kan klæde om alene.",
     "da", InputSource.participant, "citizen", InputStatus.published, ("R/R3.2", "C/SER-CUL")),
    ("Foreningstilskud kunne kræve en plan for, hvordan alle køn får plads i foreningen.",
     "da", InputSource.facilitator, "citizen", InputStatus.held, ("R/R3.2", "C/SER-CUL")),
    ("Hvordan sikrer vi, at brugerrådene har både mænd og kvinder – og plads til dem, der er ingen af delene?",
     "da", InputSource.facilitator, "council", InputStatus.published, ("C/P3", "C/POL", "L/L1")),
    ("Trygghetsvandringar tillsammans med unga hbtq-personer, de vet var det känns otryggt.",
     "sv", InputSource.participant, "citizen", InputStatus.published, ("R/R3.1", "C/SER-SAF")),
    ("Publish the equality action plan in plain language, and in English too.",
     "en", InputSource.participant, "citizen", InputStatus.held, ("R/R2", "C/GEN", "C/P6")),
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

_POLICY_PREFIX = {"R": RANDERS_POLICY_CODE, "C": "cemr-charter", "L": "lerum-omraden"}


def _theme_id(theme_ids: dict[str, int], key: str) -> int:
    prefix, code = key.split("/", 1)
    return theme_ids[f"{_POLICY_PREFIX[prefix]}/{code}"]


async def _create_input(
    event_id: int, meeting_at: datetime, theme_ids: dict[str, int], unit_ids: dict[str, int]
) -> None:
    """The meeting's input, minutes apart from 20 minutes in, then the follow-ups (due dates from today)."""
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
