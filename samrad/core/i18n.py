"""Languages: the request's locale, message catalogs, and locale-aware formatting.

The locale lives in a context variable set by ``LocaleMiddleware`` for each request (and by the worker for each
email), so Python code and templates translate with the same ``gettext`` without passing the locale around.
Catalogs are the ``.po`` files under ``samrad/translations``; they are compiled in memory at first use, so a
checkout runs without a build step.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from datetime import date, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from samrad.core.settings import LOCALES, ROOT

TRANSLATIONS_DIR = ROOT / "samrad" / "translations"
LANGUAGE_NAMES = {"da": "Dansk", "sv": "Svenska", "en": "English"}

_current: ContextVar[str] = ContextVar("samrad_locale", default="da")


def current_locale() -> str:
    return _current.get()


@contextlib.contextmanager
def use_locale(locale: str) -> Iterator[None]:
    """Translate in ``locale`` inside the block (emails, background jobs)."""
    token = _current.set(locale if locale in LOCALES else LOCALES[0])
    try:
        yield
    finally:
        _current.reset(token)


def set_locale(locale: str) -> None:
    _current.set(locale)


# One catalog per area or capability, so that work on one never edits another's file: a message lives in the
# catalog of the first place it is used (``catalog_name``); a locale's catalogs are merged when loaded.
CATALOGS = (
    "messages",  # the kernel, the composition layer, events, the staff frame, emails
    "events.attendees",
    "events.checkin",
    "workshops",
    "feedback",
    "feedback.capture",
    "feedback.moderation",
    "feedback.wall",
    "feedback.themes",
    "feedback.follow_up",
)


def catalog_name(source_path: str) -> str:
    """The catalog of a message used first at ``source_path``: the capability's ("feedback/capture/routes.py"
    and "templates/feedback/capture/page.html" → ``feedback.capture``), else the area's, else ``messages``."""
    parts = source_path.split("/")
    if parts[0] == "templates":
        parts = parts[1:]
    for candidate in (".".join(parts[:2]), parts[0]):
        if len(parts) > 1 and candidate in CATALOGS:
            return candidate
    return "messages"


@cache
def translations(locale: str) -> Translations:
    merged = None
    for name in CATALOGS:
        po_path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{name}.po"
        if not po_path.exists():
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        if merged is None:
            merged = catalog
            continue
        for message in catalog:
            if message.id:
                merged[message.id] = message
    if merged is None:
        return Translations()
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return Translations(fp=buffer)


def gettext(message: str, **variables: object) -> str:
    text = translations(current_locale()).ugettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(current_locale()).ungettext(singular, plural, n)
    return text % {"num": n, **variables}


def pgettext(context: str, message: str, **variables: object) -> str:
    """A message whose translation depends on its context: ``pgettext("event status", "Cancelled")`` is "Aflyst"
    in Danish, while a cancelled registration is "Afmeldt"."""
    text = translations(current_locale()).pgettext(context, message)
    return text % variables if variables else text


def npgettext(context: str, singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(current_locale()).npgettext(context, singular, plural, n)
    return text % {"num": n, **variables}


_ = gettext


def N_(message: str) -> str:
    """Mark a module-level string for extraction; translate it later with ``gettext``."""
    return message


def pick(value: Mapping[str, str] | None, locale: str | None = None) -> str:
    """The text of a translatable content field in ``locale``, falling back to any language it has."""
    if not value:
        return ""
    locale = locale or current_locale()
    if value.get(locale):
        return value[locale]
    for fallback in LOCALES:
        if value.get(fallback):
            return value[fallback]
    return ""


def negotiate(accept_language: str, default: str) -> str:
    """The best of our locales for an Accept-Language header."""
    candidates: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            with contextlib.suppress(ValueError):
                quality = float(params.strip()[2:])
        language = tag.strip().lower().split("-")[0]
        if language in {"nb", "nn", "no"}:
            language = "da"  # Norwegian readers understand Danish best of the three.
        if language in LOCALES:
            candidates.append((quality, language))
    candidates.sort(key=lambda item: -item[0])
    return candidates[0][1] if candidates else default


# --- formatting -------------------------------------------------------------------------------------------

_BABEL_LOCALES = {code: Locale.parse(tag) for code, tag in {"da": "da_DK", "sv": "sv_SE", "en": "en_GB"}.items()}


def _babel_locale() -> Locale:
    """Parsed once: Locale.parse on every formatted date cost a listing page a few milliseconds."""
    return _BABEL_LOCALES[current_locale()]


def _local(value: datetime, zone: str | tzinfo | None) -> datetime:
    if zone is None:
        return value
    return value.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone)


def format_date(value: date | datetime, zone: str | None = None, form: str = "long") -> str:
    if isinstance(value, datetime):
        value = _local(value, zone).date()
    return dates.format_date(value, format=form, locale=_babel_locale())


def format_weekday_date(value: datetime, zone: str | None = None) -> str:
    """'mandag 23. august 2021' style: the weekday matters for people planning their week."""
    return dates.format_date(_local(value, zone).date(), format="full", locale=_babel_locale())


def format_time(value: datetime, zone: str | None = None) -> str:
    return dates.format_time(_local(value, zone), format="HH:mm", locale=_babel_locale())


def format_datetime(value: datetime, zone: str | None = None) -> str:
    local = _local(value, zone)
    return f"{format_weekday_date(local)} {format_time(local)}"


def format_time_range(start: datetime, end: datetime, zone: str | None = None) -> str:
    """A human span: one date with two times, or two full date-times when it crosses midnight."""
    start_local, end_local = _local(start, zone), _local(end, zone)
    if start_local.date() == end_local.date():
        return f"{format_weekday_date(start_local)}, {format_time(start_local)}–{format_time(end_local)}"
    return f"{format_datetime(start_local)} – {format_datetime(end_local)}"


def format_number(value: float | int) -> str:
    return numbers.format_decimal(value, locale=_babel_locale())


def format_percent(value: float) -> str:
    return numbers.format_percent(value, locale=_babel_locale())


def iso_week(value: datetime, zone: str | None = None) -> int:
    return _local(value, zone).isocalendar().week
