"""Languages: the catalogs are complete and consistent, pages speak the visitor's language, dates follow the locale.

The completeness test extracts every string from the code and templates (as `make messages` does) and fails
while any of them is missing, empty or fuzzy in the Danish, Swedish or English catalog, or when a translation's
%(name)s variables differ from the source text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from babel import Locale
from babel.messages.catalog import Catalog

from samrad.checks import catalog_problems, extract_template, read_catalog
from samrad.core import i18n
from samrad.core.settings import LOCALES

# Headings of the privacy notice and the skip link, as the catalogs translate them.
PRIVACY_TITLE = {"da": "Privatlivspolitik", "sv": "Behandling av personuppgifter", "en": "Privacy notice"}
ACCESSIBILITY_TITLE = {
    "da": "Tilgængelighedserklæring",
    "sv": "Tillgänglighetsredogörelse",
    "en": "Accessibility statement",
}
SKIP_LINK = {"da": "Spring til hovedindholdet", "sv": "Hoppa till huvudinnehållet", "en": "Skip to main content"}
NOT_FOUND = {"da": "Siden blev ikke fundet", "sv": "Sidan hittades inte", "en": "Page not found"}


@pytest.fixture(scope="module")
def template() -> Catalog:
    return extract_template()


def _html_lang(html: str) -> str:
    match = re.search(r'<html[^>]*\blang="([^"]+)"', html)
    assert match, "the page has no <html lang>"
    return match.group(1)


# --- catalogs ------------------------------------------------------------------------------------------------


async def test_extraction_finds_python_and_template_strings(template):
    sources = {location[0].split("/")[0] for message in template for location in message.locations}
    assert {"samrad", "templates"} <= sources
    assert template.get("Skip to main content") is not None  # templates/base.html
    assert template.get("Page not found") is not None  # N_() in samrad/web.py


@pytest.mark.parametrize("locale", LOCALES)
async def test_catalog_is_complete_and_consistent(template, locale):
    problems = catalog_problems(locale, template)
    assert not problems, (
        f"{len(problems)} catalog problem(s) in {locale}; run `make messages` and translate:\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("locale", LOCALES)
async def test_catalog_has_the_locales_plural_rule(locale):
    catalog = read_catalog(locale)
    assert str(catalog.locale) == locale
    assert catalog.num_plurals == 2
    assert catalog.plural_expr == "(n != 1)"


@pytest.mark.parametrize("locale", ["da", "sv"])
async def test_plural_entries_choose_singular_and_plural(locale):
    catalog = read_catalog(locale)
    plurals = [message for message in catalog if isinstance(message.id, tuple)]
    with i18n.use_locale(locale):
        for message in plurals:
            one = i18n.ngettext(message.id[0], message.id[1], 1)
            many = i18n.ngettext(message.id[0], message.id[1], 5)
            assert one == message.string[0] % {"num": 1}
            assert many == message.string[1] % {"num": 5}


async def test_the_checker_catches_missing_empty_fuzzy_and_broken_entries():
    source = Catalog(locale="en")
    for text in ("Fine", "Hello %(name)s", "Empty", "Fuzzy", "Missing", "Percent 10 %%"):
        source.add(text)
    source.add(("%(num)s seat", "%(num)s seats"))
    broken = Catalog(locale="da")
    broken.add("Fine", "Fint")
    broken.add("Hello %(name)s", "Hej %(navn)s")
    broken.add("Empty", "")
    broken.add("Fuzzy", "Uklar", flags=["fuzzy"])
    broken.add("Percent 10 %%", "Procent 10 % mere")
    broken.add(("%(num)s seat", "%(num)s seats"), ("én plads", "pladser"))
    problems = "\n".join(catalog_problems("da", source, broken))
    assert "'Fine'" not in problems
    assert "'Hello %(name)s': variables ['navn'] differ from ['name']" in problems
    assert "'Empty' is not translated" in problems
    assert "'Fuzzy' is marked fuzzy" in problems
    assert "'Missing' is missing" in problems
    assert "'Percent 10 %%'" in problems and "literal % as %%" in problems
    assert "'%(num)s seat': variables [] differ from ['num']" not in problems  # the singular may spell out one
    assert len(catalog_problems("da", source, broken)) == 5


@pytest.mark.parametrize(
    ("locale", "event_status", "registration_status"),
    [("da", "Aflyst", "Afmeldt"), ("sv", "Inställt", "Avbokad"), ("en", "Cancelled", "Cancelled")],
)
async def test_context_tells_a_cancelled_event_from_a_cancelled_registration(locale, event_status, registration_status):
    from samrad.core.settings import get_settings
    from samrad.core.web import build_template_environment

    env = build_template_environment(get_settings())
    page = env.from_string('{{ pgettext("event status", "Cancelled") }}|{{ _("Cancelled") }}')
    with i18n.use_locale(locale):
        assert i18n.pgettext("event status", "Cancelled") == event_status
        assert i18n.gettext("Cancelled") == registration_status
        assert page.render() == f"{event_status}|{registration_status}"


async def test_extraction_keeps_message_contexts(template):
    assert template.get("Cancelled", context="event status") is not None
    assert template.get("Cancelled") is not None


# --- pages in each language ----------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
async def test_page_in_the_language_asked_for_by_query(client, locale):
    response = await client.get("/privacy", params={"lang": locale})
    assert response.status_code == 200
    assert _html_lang(response.text) == locale
    assert f"<h1>{PRIVACY_TITLE[locale]}</h1>" in response.text
    assert SKIP_LINK[locale] in response.text
    assert ACCESSIBILITY_TITLE[locale] in response.text  # footer link


@pytest.mark.parametrize("locale", LOCALES)
async def test_page_in_the_language_of_the_cookie(client, locale):
    response = await client.get("/accessibility", headers={"cookie": f"samrad_lang={locale}"})
    assert _html_lang(response.text) == locale
    assert f"<h1>{ACCESSIBILITY_TITLE[locale]}</h1>" in response.text


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("da-DK,da;q=0.9,en;q=0.5", "da"),
        ("sv-SE,sv;q=0.9,en-GB;q=0.8", "sv"),
        ("de-DE,de;q=0.9,sv;q=0.4,en;q=0.6", "en"),
        ("nb-NO,nb;q=0.9", "da"),
        ("fi-FI", "en"),  # nothing we speak: the configured default (en in tests)
    ],
)
async def test_page_in_the_language_of_accept_language(client, header, locale):
    response = await client.get("/privacy", headers={"accept-language": header})
    assert _html_lang(response.text) == locale
    assert PRIVACY_TITLE[locale] in response.text


async def test_query_beats_cookie_and_cookie_beats_accept_language(client):
    both = {"cookie": "samrad_lang=sv", "accept-language": "da"}
    assert _html_lang((await client.get("/privacy", headers=both)).text) == "sv"
    assert _html_lang((await client.get("/privacy?lang=en", headers=both)).text) == "en"


async def test_language_switch_remembers_the_choice(client):
    response = await client.get("/lang/sv", params={"next": "/privacy"})
    assert response.status_code == 303
    assert response.headers["location"] == "/privacy"
    assert "samrad_lang=sv" in response.headers["set-cookie"]
    page = await client.get("/privacy")
    assert _html_lang(page.text) == "sv"
    assert PRIVACY_TITLE["sv"] in page.text


async def test_language_switch_offers_every_language_in_its_own_name(client):
    html = (await client.get("/privacy?lang=sv")).text
    assert re.search(r'<a href="/lang/da\?next=(/|%2F)privacy" lang="da"[^>]*>Dansk</a>', html)
    assert re.search(r'<a href="/lang/en\?next=(/|%2F)privacy" lang="en"[^>]*>English</a>', html)
    assert re.search(r'lang="sv" aria-current="true">Svenska</a>', html)


@pytest.mark.parametrize("locale", LOCALES)
async def test_not_found_page_is_translated(client, locale):
    response = await client.get(f"/no/such/page?lang={locale}")
    assert response.status_code == 404
    assert _html_lang(response.text) == locale
    assert f"<h1>{NOT_FOUND[locale]}</h1>" in response.text


async def test_json_errors_are_translated_too(client):
    response = await client.get("/api/v1/no-such-thing", headers={"accept-language": "sv"})
    assert response.status_code == 404
    assert response.json()["detail"] == NOT_FOUND["sv"]


# --- dates, times and numbers --------------------------------------------------------------------------------

# 29 March 2026 is the day summer time starts in Denmark and Sweden (02:00 -> 03:00 local).
EVENING = datetime(2026, 1, 15, 17, 5, tzinfo=UTC)
DST_START = datetime(2026, 3, 29, 12, 30, tzinfo=UTC)
DST_END = datetime(2026, 3, 29, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("locale", "weekday_date", "time_range"),
    [
        ("da", "torsdag den 15. januar 2026", "søndag den 29. marts 2026, 14:30–16:00"),
        ("sv", "torsdag 15 januari 2026", "söndag 29 mars 2026, 14:30–16:00"),
        ("en", "Thursday, 15 January 2026", "Sunday, 29 March 2026, 14:30–16:00"),
    ],
)
async def test_dates_and_times_follow_the_locale_in_24_hours(locale, weekday_date, time_range):
    with i18n.use_locale(locale):
        assert i18n.format_weekday_date(EVENING, "Europe/Copenhagen") == weekday_date
        assert i18n.format_time(EVENING, "Europe/Copenhagen") == "18:05"  # 24-hour clock, local time
        assert i18n.format_time(EVENING, "Europe/Stockholm") == "18:05"
        assert i18n.format_time_range(DST_START, DST_END, "Europe/Stockholm") == time_range  # UTC+2 after the switch
        formatted = i18n.format_datetime(EVENING, "Europe/Copenhagen")
        assert formatted.endswith("18:05")
        assert not re.search(r"\b(AM|PM|am|pm)\b", formatted)


async def test_templates_format_dates_with_the_request_locale():
    from samrad.core.settings import get_settings
    from samrad.core.web import build_template_environment

    env = build_template_environment(get_settings())
    page = env.from_string("{{ when | weekday_date('Europe/Copenhagen') }} {{ when | time('Europe/Copenhagen') }}")
    with i18n.use_locale("da"):
        assert page.render(when=EVENING) == "torsdag den 15. januar 2026 18:05"
    with i18n.use_locale("sv"):
        assert page.render(when=EVENING) == "torsdag 15 januari 2026 18:05"


@pytest.mark.parametrize("locale", LOCALES)
async def test_weeks_start_on_monday_and_use_iso_numbers(locale):
    babel_locale = Locale.parse({"da": "da_DK", "sv": "sv_SE", "en": "en_GB"}[locale])
    assert babel_locale.first_week_day == 0  # Monday
    assert i18n.iso_week(datetime(2026, 1, 1, 12, tzinfo=UTC)) == 1
    assert i18n.iso_week(datetime(2026, 12, 31, 22, 30, tzinfo=UTC), "Europe/Stockholm") == 53


async def test_numbers_follow_the_locale():
    with i18n.use_locale("da"):
        assert i18n.format_number(12345.5) == "12.345,5"
    with i18n.use_locale("sv"):
        assert i18n.format_number(12345.5).replace("\u00a0", " ").replace("\u202f", " ") == "12 345,5"
    with i18n.use_locale("en"):
        assert i18n.format_number(12345.5) == "12,345.5"


async def test_translatable_content_falls_back_to_a_language_it_has():
    with i18n.use_locale("sv"):
        assert i18n.pick({"da": "Ligestilling", "sv": "Jämställdhet"}) == "Jämställdhet"
        assert i18n.pick({"da": "Ligestilling", "sv": ""}) == "Ligestilling"
        assert i18n.pick(None) == ""
