"""The demo's three theme taxonomies, as pure data: Randers' gender equality policy (three levels), the CEMR
European Charter for Equality of Women and Men in Local Life (2022 wording) and Lerum's flat list of areas.
"""

from __future__ import annotations

from dataclasses import dataclass

from feedback.tables import PolicyKind
from samrad.core.demo_support import t

# The Randers policy's code, which its theme keys ("R1") refer to.
RANDERS_POLICY_CODE = "randers-koensligestilling"


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
        RANDERS_POLICY_CODE,
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
