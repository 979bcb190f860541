"""The demo's events: Randers' implementation conference, Katrineholm's weekly MOGAI café (drop-in, sensitive,
with holiday breaks), Söderhamn's HBTQ trainings (a 30 % coverage target, one still a draft), a Värmland network
meeting and Randers' past open dialogue meeting, whose input the feedback area adds.

Dates are computed from today, so the demo always lies in the future.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from events.tables import AudienceCategory, Event, EventAudience, EventKind, Occurrence, RegistrationMode
from samrad.core.demo_support import DEMO_EMAIL_DOMAIN, at, t

COPENHAGEN = "Europe/Copenhagen"
STOCKHOLM = "Europe/Stockholm"


def next_weekday(start: date, weekday: int) -> date:
    """The first ``weekday`` (Monday = 0) on or after ``start``, outside the summer and Christmas breaks."""
    day = start + timedelta(days=(weekday - start.weekday()) % 7)
    while holiday_break(day):
        day += timedelta(weeks=1)
    return day


def previous_weekday(start: date, weekday: int) -> date:
    """The last ``weekday`` on or before ``start``, outside the breaks."""
    day = start - timedelta(days=(start.weekday() - weekday) % 7)
    while holiday_break(day):
        day -= timedelta(weeks=1)
    return day


def holiday_break(day: date) -> dict[str, str] | None:
    """Katrineholm's café pauses in summer and over Christmas and New Year; the note says why."""
    if date(day.year, 6, 24) <= day <= date(day.year, 8, 10):
        return t("Sommerpause – vi ses igen i august!", "Sommaruppehåll – vi ses igen i augusti!",
                 "Summer break – see you again in August!")
    if day >= date(day.year, 12, 21) or day <= date(day.year, 1, 6):
        return t("Juleferie – vi ses igen i januar!", "Jullovsuppehåll – vi ses igen i januari!",
                 "Christmas break – see you again in January!")
    return None


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


async def create_conference(today: date, venue_id: int) -> tuple[int, date]:
    """Randers' implementation conference, six weeks ahead on a Monday; returns its id and its day."""
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
        venue_id=venue_id,
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
    return conference, conference_day


PAST_CAFE_HEADCOUNTS = (9, 12, 8, 11, 10, 13)


async def create_cafe(today: date, venue_id: int) -> int:
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
        note = holiday_break(day)
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


async def create_trainings(today: date, venue_id: int) -> list[int]:
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


async def create_draft_training(today: date, venue_id: int) -> int:
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


async def create_network_meeting(today: date, venue_id: int) -> int:
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


async def create_dialogue_meeting(today: date, venue_id: int) -> int:
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
