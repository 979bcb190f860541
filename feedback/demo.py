"""The feedback area's demo data: the three built-in theme taxonomies (``feedback/themes/taxonomies``), the theme
each conference workshop discusses, the input and follow-ups of Randers' past dialogue meeting, and the input
captured at the conference's workshops. All input goes through the capture and moderation services.

``load`` runs after the events and workshops areas' (see ``Area.demo``): it reads ``dialogue`` and
``org_units`` (from events) and ``workshops`` (from workshops) from the shared dictionary and adds ``themes``,
their ids by "policy-code/theme-code". ``capture_workshop_input`` runs in the third round, after the workshops
area linked each workshop to its themes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from events.tables import Event
from feedback.capture import services
from feedback.links import set_event_themes
from feedback.moderation import services as moderation
from feedback.tables import FollowUp, FollowUpInput, FollowUpStatus, InputSource, InputStatus, Theme
from feedback.themes import services as themes
from feedback.themes import taxonomy
from samrad.core.demo_support import DEMO_EMAIL_DOMAIN, t
from samrad.core.tables import StaffUser
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
    """The three built-in taxonomies, loaded through the themes service; returns theme ids by
    "policy-code/theme-code"."""
    theme_ids: dict[str, int] = {}
    for name in taxonomy.BUILTIN:
        policy_id = await themes.load_builtin(name, "system")
        code = taxonomy.builtin_document(name)["code"]
        for row in await Theme.select(Theme.id, Theme.code).where(Theme.policy == policy_id):
            theme_ids[f"{code}/{row['code']}"] = row["id"]
    return theme_ids


async def _name_workshop_themes(workshop_ids: dict[str, int]) -> None:
    """End each workshop's description with the theme it discusses, in each language."""
    theme_names = _theme_names(taxonomy.builtin_document("randers")["themes"])
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


def _theme_names(themes: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    return {theme["code"]: theme["name"] for theme, _parent, _level in taxonomy.walk(themes)}


# --- input and follow-up --------------------------------------------------------------------------------------

# (text, language, source, speaker category, status, theme keys)
INPUT = (
    ("Ledere skal have redskaber til at tale om sexchikane, før det sker – ikke først når der er en sag.",
     "da", InputSource.facilitator, "staff", InputStatus.published, ("R/R1.2", "C/EMP")),
    ("Lønstatistik fordelt på køn i hvert område, så vi kan se forskellene.",
     "da", InputSource.facilitator, "staff", InputStatus.published, ("R/R1.1", "C/EMP", "L/L3")),
    ("Flere mandlige pædagoger i dagtilbud – gør det synligt, når vi rekrutterer.",
     "da", InputSource.facilitator, "council_member", InputStatus.published, ("R/R2.1", "C/SER-CHI", "C/P4")),
    ("Seksualundervisningen i skolen skal også handle om køn og identitet, ikke kun om biologi.",
     "da", InputSource.participant, "citizen", InputStatus.published, ("R/R2.1", "C/SER-EDU")),
    ("Ældre homoseksuelle på plejecentrene skjuler ofte deres liv. Personalet skal spørge åbent.",
     "da", InputSource.facilitator, "council_member", InputStatus.published, ("R/R2.2.1", "C/SER-DEP", "C/P2")),
    ("Breve fra kommunen går ud fra, at der er en mor og en far. Skriv »forældre«.",
     "da", InputSource.participant, "citizen", InputStatus.published, ("R/R2", "C/P5")),
    ("Bedre belysning på stien langs Gudenåen – mange kvinder undgår den om aftenen.",
     "da", InputSource.facilitator, "citizen", InputStatus.published, ("R/R3.1", "C/SER-SAF", "C/PLA-URB", "L/L7")),
    ("Omklædningsrum i hallerne, hvor man kan klæde om alene.",
     "da", InputSource.participant, "citizen", InputStatus.published, ("R/R3.2", "C/SER-CUL")),
    ("Foreningstilskud kunne kræve en plan for, hvordan alle køn får plads i foreningen.",
     "da", InputSource.facilitator, "citizen", InputStatus.held, ("R/R3.2", "C/SER-CUL")),
    ("Hvordan sikrer vi, at brugerrådene har både mænd og kvinder – og plads til dem, der er ingen af delene?",
     "da", InputSource.facilitator, "council_member", InputStatus.published, ("C/P3", "C/POL", "L/L1")),
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

POLICY_PREFIX = {"R": "randers-koensligestilling", "C": "cemr-charter", "L": "lerum-omraden"}


def _theme_id(theme_ids: dict[str, int], key: str) -> int:
    prefix, code = key.split("/", 1)
    return theme_ids[f"{POLICY_PREFIX[prefix]}/{code}"]


async def _create_input(
    event_id: int, meeting_at: datetime, theme_ids: dict[str, int], unit_ids: dict[str, int]
) -> None:
    """The meeting's input (the meeting had no workshops: input to the event itself, on the themes linked to it),
    minutes apart from 20 minutes in, through the capture service; then the follow-ups (due dates from today)."""
    await set_event_themes(event_id, sorted({_theme_id(theme_ids, key) for *_rest, keys in INPUT for key in keys}))
    context = await services.load_event(event_id)
    item_ids = []
    for index, (text, language, source, speaker, status, theme_keys) in enumerate(INPUT):
        draft = _draft(context, text, language=language, speaker_category=speaker,
                       theme_ids=[_theme_id(theme_ids, key) for key in theme_keys])
        [captured] = await services.capture(
            context, [draft], source=source, status_for=lambda _draft, status=status: status.value,
            at=meeting_at + timedelta(minutes=20 + 7 * index),
        )
        item_ids.append(captured.item["id"])
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


def _draft(context: services.WorkshopContext, text: str, **fields: Any) -> services.ItemDraft:
    draft = services.parse_item({"client_id": services.new_client_id(), "text": text, **fields}, context)
    if isinstance(draft, dict):
        raise ValueError(f"demo input does not pass the capture rules: {sorted(draft)}")
    return draft


# --- the conference workshops' input ----------------------------------------------------------------------

F, P = InputSource.facilitator, InputSource.participant

# Per workshop: (text, language, source, kind, speaker category, theme codes). Participants' input passes the
# word list like any other; the one with "idiot" waits for a moderator.
WORKSHOP_INPUT = {
    "workplace": (
        ("Lønsamtaler skal tage højde for barsel – ellers sakker man bagud år for år.", "da", F, "proposal",
         "staff", ("R1.1",)),
        ("Chefer behöver stöd för att hantera kränkningar tidigt, innan det blir ett ärende.", "sv", F, "idea",
         "leader", ("R1.2",)),
        ("Flexible hours should not depend on which manager you happen to have.", "en", P, "concern", "", ("R1",)),
        ("Min chef er en idiot, der aldrig lytter til os på gulvet.", "da", P, "experience", "", ()),
    ),
    "schools": (
        ("Legetøjet i børnehaven sorteres ikke efter køn – det virker.", "da", F, "experience", "council_member",
         ("R2.1",)),
        ("Låt eleverna själva välja vilka roller de spelar i skolpjäsen.", "sv", P, "idea", "", ("R2.1",)),
        ("Teachers need time to share norm-critical lesson plans with each other.", "en", F, "proposal", "staff",
         ()),
    ),
    "care": (
        ("Spørg nye beboere, hvem der er deres nærmeste – ikke kun om ægtefælle.", "da", F, "proposal", "staff",
         ()),
        ("Personalen behöver utbildning om äldre hbtq-personers historia.", "sv", P, "idea", "", ()),
        ("Put LGBT+ friendly care homes on the council's agenda this year.", "en", F, "proposal",
         "elected_official", ()),
    ),
    "safety": (
        ("Flere lys ved busstoppestederne langs Vestervold.", "da", P, "proposal", "", ("R3.1",)),
        ("Trygghetsvandringar med unga i varje stadsdel.", "sv", F, "idea", "citizen", ("R3",)),
        ("Changing rooms at the sports hall where you can change alone.", "en", P, "idea", "", ("R3",)),
    ),
}
# Said twice at the schools workshop: the second is merged into the first.
DUPLICATES = (
    ("Drenge og piger skal have de samme valgmuligheder i idræt.", "da", P, "proposal", "", ("R2.1",)),
    ("Samme valg i idræt for drenge og piger!", "da", F, "proposal", "citizen", ()),
)
# A name said aloud at the workplace table, taken out afterwards for anonymity.
NAMED = "Mette fra lønkontoret sagde, at kvinder får mindre i tillæg end mænd."
ANONYMISED = "En medarbejder fra lønkontoret sagde, at kvinder får mindre i tillæg end mænd."


async def capture_workshop_input(demo: dict[str, Any]) -> None:
    """A third round, once the workshops have their themes: input at each conference workshop captured by the
    demo facilitator and sent by participants, through the capture and moderation services."""
    staff = {
        row["role"]: row["id"]
        for row in await StaffUser.select(StaffUser.id, StaffUser.role).where(
            StaffUser.email.like(f"%@{DEMO_EMAIL_DOMAIN}")
        )
    }
    facilitator, organiser = staff.get("facilitator"), staff.get("organiser")
    contexts = {key: await services.load_workshop(workshop_id) for key, workshop_id in demo["workshops"].items()}
    starts = {
        row["id"]: row["starts_at"]
        for row in await Workshop.select(Workshop.id, Workshop.starts_at).where(
            Workshop.id.is_in(list(demo["workshops"].values()))
        )
    }
    captured: dict[str, list[dict[str, Any]]] = {}
    extra = {"schools": DUPLICATES, "workplace": ((NAMED, "da", F, "experience", "staff", ("R1.1",)),)}
    for key, entries in WORKSHOP_INPUT.items():
        context = contexts[key]
        entries = (*entries, *extra.get(key, ()))
        captured[key] = []
        for minute, (text, language, source, kind, speaker, codes) in enumerate(entries, start=10):
            themes = [theme["id"] for theme in context.themes if theme["code"] in codes]
            draft = _draft(context, text, language=language, kind=kind, speaker_category=speaker, theme_ids=themes,
                           table=context.tables[minute % len(context.tables)]["id"] if context.tables else None)
            at = starts[context.id] + timedelta(minutes=3 * minute)
            if source is P:
                [entry] = await services.capture(
                    context, [draft], source=source, at=at,
                    status_for=lambda item, context=context: services.participant_status(context, item),
                )
            else:
                [entry] = await services.capture(context, [draft], source=source, staff_user_id=facilitator, at=at)
            captured[key].append(entry.item)
    by_text = {item["text"]: item for items in captured.values() for item in items}
    kept, duplicate = by_text[DUPLICATES[0][0]], by_text[DUPLICATES[1][0]]
    await moderation.merge(kept, [duplicate], facilitator)
    await moderation.edit(by_text[NAMED], ANONYMISED, "experience", organiser, anonymity=True)
