"""How the hostile-input tests send a case and judge the answer.

- ``snapshot()``: every table's rows in one statement, so "nothing stored half" is a comparison of two
  snapshots (a rejected request leaves every row as it was, and commits no transaction at all).
- ``error_texts()`` / ``untranslated()``: the messages a 4xx shows (JSON ``detail`` and field errors; on a
  page, the error summary, the field errors, alerts, or the error page's title) must each be a Danish message
  of the catalogs, since every request asks for Danish.
- ``written()``: the rows a request made or changed, for the round-trip check.
- ``discover_forms()``: every ``<form method=post>`` of every page the app serves to an administrator and to
  the public, with the fields a browser would send, so a new form is in the corpus without anyone listing it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

LOCALE = "da"
HEADERS = {"Accept-Language": LOCALE}

# Columns a request may change without writing anything a person sent (a token's last use is stamped on every
# authenticated API call, accepted or not).
VOLATILE_COLUMNS = {("api_token", "last_used_at")}


# --- snapshots ---------------------------------------------------------------------------------------------

@cache
def _snapshot_sql(sqlite: bool) -> tuple[str, tuple[str, ...]]:
    """One SELECT with a JSON array of rows per table (binary columns left out)."""
    from piccolo.columns import Bytea
    from piccolo.conf.apps import Finder

    tables = sorted(Finder().get_table_classes(), key=lambda t: t._meta.tablename)
    parts, names = [], []
    for table in tables:
        name = table._meta.tablename
        columns = ", ".join(f'"{c._meta.db_column_name}"' for c in table._meta.columns
                            if not isinstance(c, Bytea) and (name, c._meta.db_column_name) not in VOLATILE_COLUMNS)
        if sqlite:
            parts.append(f'(SELECT json_group_array(json_array({columns})) '
                         f'FROM (SELECT * FROM "{name}" ORDER BY "id"))')
        else:
            parts.append(f'(SELECT json_agg(json_build_array({columns}) ORDER BY "id") FROM "{name}")')
        names.append(name)
    return "SELECT " + ", ".join(f"{part} AS c{index}" for index, part in enumerate(parts)), tuple(names)


async def snapshot() -> dict[str, list[str]]:
    """Every row of every table, each row as its JSON text."""
    from piccolo.querystring import QueryString

    from samrad.core import db

    sql, names = _snapshot_sql(db.is_sqlite())
    row = (await db.engine().run_querystring(QueryString(sql)))[0]
    return {name: [json.dumps(r, sort_keys=True) for r in json.loads(row[f"c{index}"] or "[]")]
            for index, name in enumerate(names)}


def written(before: Mapping[str, list[str]], after: Mapping[str, list[str]]) -> dict[str, list[Any]]:
    """The rows that are new or changed, by table; a table that only lost rows is listed empty."""
    from collections import Counter

    out = {}
    for name in before:
        if before[name] != after[name]:
            out[name] = [json.loads(row) for row in (Counter(after[name]) - Counter(before[name])).elements()]
    return out


# --- translated messages -----------------------------------------------------------------------------------

@cache
def _messages() -> tuple[re.Pattern[str], frozenset[str]]:
    """A pattern matching any Danish message of the catalogs (placeholders match anything), and the English
    texts whose Danish differs (an English one on a Danish page was not translated)."""
    from babel.messages.pofile import read_po

    from samrad.core.i18n import CATALOGS, TRANSLATIONS_DIR

    patterns, english = set(), set()
    for name in CATALOGS:
        path = TRANSLATIONS_DIR / LOCALE / "LC_MESSAGES" / f"{name}.po"
        if not path.exists():
            continue
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=LOCALE)
        for message in catalog:
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for text in strings:
                if text:
                    patterns.add(_as_pattern(text))
            for text in ids:
                if text not in strings and len(text) >= 12:
                    english.add(_normal(text))
    alternatives = "|".join(sorted(patterns, key=len, reverse=True))
    # One message or several in a row (a paragraph may join two sentences); case-blind: a message may be
    # capitalised where it starts a sentence.
    return re.compile(f"(?:{alternatives})(?: ?(?:{alternatives}))*", re.S | re.I), frozenset(english)


def _normal(text: str) -> str:
    return " ".join(text.split())


def _as_pattern(text: str) -> str:
    pieces = re.split(r"(%\(\w+\)[sd]|%[sd]|\{\w+\})", _normal(text.replace("%%", "\x00")))
    out = []
    for piece in pieces:
        if re.fullmatch(r"%\(\w+\)[sd]|%[sd]|\{\w+\}", piece):
            out.append(".*?")
        else:
            out.append(re.escape(piece).replace("\x00", "%"))
    return "".join(out)


def untranslated(texts: Iterable[str]) -> list[str]:
    """The texts that are not a Danish message of the catalogs."""
    pattern, _english = _messages()
    return [text for text in texts if not pattern.fullmatch(_normal(text))]


def english_left(html: str) -> list[str]:
    """English catalog texts shown on a Danish page."""
    _pattern, english = _messages()
    visible = _normal(_visible_text(html))
    return sorted(text for text in english if text in visible)


def _visible_text(html: str) -> str:
    import lxml.html

    document = lxml.html.fromstring(html)
    for node in document.xpath("//script|//style|//head"):
        node.drop_tree()
    return document.text_content()


def error_texts(response: Any) -> list[str]:
    """The messages a 4xx answer gives a person or a program; empty when it gives none."""
    if "json" in response.headers.get("content-type", ""):
        body = response.json()
        texts = [body.get("detail") or ""] if isinstance(body, dict) else []
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, Mapping):
            texts.extend(str(value) for value in errors.values())
        elif isinstance(errors, list):
            texts.extend(str(error.get("message", "")) for error in errors if isinstance(error, Mapping))
        return [text for text in texts if text]
    if "html" not in response.headers.get("content-type", ""):
        return [response.text] if response.text.strip() else []
    import lxml.html

    document = lxml.html.fromstring(response.text)
    texts: list[str] = []
    for node in document.xpath('//*[contains(concat(" ", @class, " "), " field-error ")]'):
        texts.append(node.text_content())
    for role in ("alert", "status"):  # a status box only where nothing is marked as an error
        if texts:
            break
        for box in document.xpath(f'//*[@role="{role}"][not(@hidden)]'):
            blocks = box.xpath(".//h2|.//p|.//li")
            texts.extend(block.text_content() for block in blocks) if blocks else texts.append(box.text_content())
    if not texts:  # the error page: its title
        main = document.xpath("//main") or [document]
        texts.extend(node.text_content() for node in main[0].xpath(".//h1")[:1])
    return [_normal(text) for text in texts if text.strip()]


# --- forms found on the pages ------------------------------------------------------------------------------

TEXT_TYPES = {"text", "email", "search", "tel", "url", "password", "textarea"}


@dataclass
class Field:
    name: str
    kind: str  # text, hidden, number, date, datetime, time, colour, choice, multi, file
    values: list[str]  # what a browser sends untouched ([] for an unticked box)
    options: tuple[str, ...] = ()


@dataclass
class Form:
    method: str
    action: str  # the path posted to
    page: str  # the page the form is on
    enctype: str
    fields: list[Field] = field(default_factory=list)

    def browser_data(self) -> list[tuple[str, str]]:
        """The fields as a browser submits the form untouched (the CSRF token left out)."""
        return [(item.name, value) for item in self.fields if item.name != "_csrf_token" and item.kind != "file"
                for value in item.values]


def forms_on(html: str, page: str) -> list[Form]:
    import lxml.html

    document = lxml.html.fromstring(html)
    found = []
    for node in document.xpath("//form"):
        method = (node.get("method") or "get").upper()
        action = node.get("action") or page.split("?")[0]
        found.append(Form(method=method, action=action, page=page, enctype=node.get("enctype") or "",
                          fields=_fields(node, document)))
    return found


def _fields(form: Any, document: Any) -> list[Field]:
    elements = list(form.xpath(".//input|.//select|.//textarea|.//button"))
    if form.get("id"):  # fields outside the form that name it
        elements += document.xpath(f'//*[@form="{form.get("id")}"]')
    fields: dict[str, Field] = {}
    submitted = False
    for element in elements:
        name = element.get("name")
        if not name or element.get("disabled") is not None:
            continue
        tag = element.tag
        kind = (element.get("type") or ("textarea" if tag == "textarea" else "text")).lower()
        value = element.get("value", "")
        if tag == "select":
            options = tuple(o.get("value", o.text_content()) for o in element.xpath(".//option"))
            chosen = [o.get("value", o.text_content()) for o in element.xpath(".//option[@selected]")]
            multiple = element.get("multiple") is not None
            sent = chosen if multiple else (chosen[:1] or list(options[:1]))
            _add(fields, Field(name, "multi" if multiple else "choice", sent, options))
        elif tag == "button" or kind in {"submit", "image"}:
            # The first named button is the one pressed (Enter in a field presses it too).
            if tag == "button" and kind not in {"submit", "text"}:
                continue
            if not submitted and name not in fields:
                fields[name] = Field(name, "choice", [value], (value,))
                submitted = True
        elif kind in {"checkbox", "radio"}:
            value = element.get("value", "on")
            sent = [value] if element.get("checked") is not None else []
            _add(fields, Field(name, "multi" if kind == "checkbox" else "choice", sent, (value,)))
        elif tag == "textarea":
            _add(fields, Field(name, "text", [element.text or ""]))
        elif kind in {"number", "range"}:
            _add(fields, Field(name, "number", [value]))
        elif kind in {"date", "datetime-local", "time", "month"}:
            _add(fields, Field(name, {"datetime-local": "datetime", "time": "time"}.get(kind, "date"), [value]))
        elif kind == "file":
            _add(fields, Field(name, "file", []))
        elif kind == "hidden":
            _add(fields, Field(name, "hidden", [value]))
        elif kind == "color":
            _add(fields, Field(name, "colour", [value]))
        elif kind in TEXT_TYPES:
            _add(fields, Field(name, "text", [value]))
    return list(fields.values())


def _add(fields: dict[str, Field], item: Field) -> None:
    """Several inputs of one name (radios, ticks, per-language texts): one field with every option and every
    value a browser would send."""
    existing = fields.get(item.name)
    if existing is None:
        fields[item.name] = item
        return
    existing.options = (*existing.options, *item.options)
    if existing.kind in {"multi", "hidden", "text"} or not existing.values:
        existing.values = [*existing.values, *item.values]


# --- routes ------------------------------------------------------------------------------------------------

def all_routes(app) -> list[tuple[str, str]]:
    """Every (method, path pattern) but HEAD and OPTIONS."""
    return sorted({(method, route.path) for route in app.routes for handler in getattr(route, "route_handlers", [])
                   for method in set(getattr(handler, "http_methods", ())) - {"HEAD", "OPTIONS"}},
                  key=lambda pair: (pair[1], pair[0]))


def write_routes(app) -> list[tuple[str, str]]:
    """Every (method, path pattern) that takes input: POST, PUT, PATCH and DELETE."""
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in set(getattr(handler, "http_methods", ())) & {"POST", "PUT", "PATCH", "DELETE"}:
                found.add((method, route.path))
    return sorted(found, key=lambda pair: (pair[1], pair[0]))


def page_routes(app) -> list[str]:
    """Every GET path pattern."""
    return sorted({route.path for route in app.routes for handler in getattr(route, "route_handlers", [])
                   if "GET" in getattr(handler, "http_methods", ())})


def route_of(path: str, patterns: Iterable[str]) -> str | None:
    """The pattern (``/staff/input/{item_id:int}/hide``) a concrete path belongs to."""
    path = path.split("#")[0].split("?")[0]
    for pattern in sorted(patterns, key=lambda p: (p.count("{"), -len(p))):
        regex = re.sub(r"\\\{(\w+):(\w+)\\\}", lambda m: r"-?\d+" if m.group(2) == "int" else r"[^/]+",
                       re.escape(pattern))
        if re.fullmatch(regex, path):
            return pattern
    return None


def fill(pattern: str, values: Mapping[str, Any]) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        assert name in values, f"no value for {{{name}}} in {pattern}: add it to hostile_world.path_values"
        return str(values[name])

    return re.sub(r"\{(\w+):\w+\}", value, pattern)


# --- crawling ----------------------------------------------------------------------------------------------

# Pages with no form to find: feeds, files, streams, the schema, exports.
NOT_PAGES = re.compile(r"^/(api|schema|static)/|^/schema$|/stream$|\.(ics|png|svg|csv|json|js|css)$|/export|"
                       r"^/(healthz|readyz)$|^/lang/")
# The doors open to the logged-out: an administrator is sent on from them.
DOOR_PAGES = re.compile(r"^/staff/(login|password/|welcome/)")


def page_variants(world: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each page is read about each of the world's events, people and policies whose state shows a form of
    its own (a draft's publish button, someone waiting's "give a seat", a closed account's "reactivate"...)."""
    return [
        {},
        {"event_id": world["ahead_event_id"], "slug": world["ahead_slug"],
         "registration_id": world["ahead_registration_id"], "user_id": world["invited_id"]},
        {"event_id": world["ended_event_id"], "slug": world["ended_slug"], "user_id": world["closed_id"],
         "policy_id": world["empty_policy_id"]},
        {"event_id": world["spare_event_id"], "slug": world["spare_slug"]},
        {"event_id": world["full_event_id"], "registration_id": world["waiting_registration_id"]},
        {"event_id": world["sensitive_event_id"]},
    ]


async def discover_forms(app, world: Mapping[str, Any], admin: Any, public: Any) -> list[Form]:
    """Every form of every page, read as the administrator (staff pages) or the public."""
    from hostile_world import path_values

    seen: set[str] = set()
    forms: list[Form] = []
    # Pages that show a form only for an answer: the door's search (check in someone without a ticket).
    for path in (f"/staff/checkin/{world['ahead_event_id']}?q=Hostile",):
        forms.extend(forms_on((await admin.get(path)).text, path))
    for pattern in page_routes(app):
        if NOT_PAGES.search(pattern):
            continue
        staff = pattern.startswith("/staff") and not DOOR_PAGES.match(pattern)
        for variant in page_variants(world):
            path = fill(pattern, {**path_values(world, pattern), **variant})
            if path in seen:
                continue
            seen.add(path)
            response = await (admin if staff else public).get(path)
            if response.status_code != 200 or "html" not in response.headers.get("content-type", ""):
                continue
            forms.extend(forms_on(response.text, path))
    return forms


# --- cases and how they are judged -------------------------------------------------------------------------

@dataclass
class Case:
    """One hostile request: a class of the corpus sent to one field (or to the whole request)."""

    label: str
    cls: str
    field: str | None = None
    value: Any = None  # the hostile value, for the round-trip and not-stored checks
    pairs: list[tuple[str, str]] | None = None  # form fields (the CSRF token is added when sent)
    body: bytes | None = None  # a raw body, sent as it is
    content_type: str | None = None
    json: Any = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    textual: bool = True  # sent where text goes (else a text class is judged like any hostile value)


def variants(text: str) -> set[str]:
    """The forms a stored text may take: as sent, trimmed, or with its white space collapsed (names, titles,
    one-line fields), the normalisation the forms document."""
    return {text, text.strip(), " ".join(text.split())}


def scalars(value: Any) -> Iterator[Any]:
    if isinstance(value, str):
        yield value
        if value[:1] in "[{":
            try:
                yield from scalars(json.loads(value))
            except ValueError:
                pass
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from scalars(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from scalars(item)
    elif value is not None:
        yield value


class Sender:
    """Sends cases the way a browser (form fields with the CSRF token) or a script (JSON, a bearer token) does."""

    def __init__(self, client: Any, *, csrf: str | None = None, bearer: str | None = None,
                 csrf_header: str | None = None, script: bool = False) -> None:
        self.client = client
        self.csrf = csrf
        self.headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        if csrf_header:
            self.headers["X-CSRFToken"] = csrf_header
        if script:  # a script asks for JSON, whatever it sends
            self.headers["Accept"] = "application/json"

    async def send(self, method: str, path: str, case: Case) -> Any:
        from urllib.parse import urlencode

        headers = dict(self.headers)
        token = [("_csrf_token", self.csrf)] if self.csrf else []
        if case.files is not None:
            return await self.client.request(method, path, data=dict(token + (case.pairs or [])), files=case.files,
                                             headers=headers)
        if case.json is not None:
            content = json.dumps(case.json, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        elif case.body is not None:
            content = case.body
            if case.content_type is None and token:
                content = urlencode(token).encode() + b"&" + content
            headers["Content-Type"] = case.content_type or "application/x-www-form-urlencoded"
        elif case.pairs is not None:
            content = urlencode(token + case.pairs).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            content = b""
        return await self.client.request(method, path, content=content, headers=headers)


def _hostile_scalar(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return int(value)
    except ValueError:
        pass
    try:
        number = float(value)
    except ValueError:
        return value
    return None if number != number else number  # NaN is never equal to anything stored


DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _holds(stored: Iterable[Any], hostile: Any) -> bool:
    """Whether the hostile number, date or choice is among the values written."""
    wanted = _hostile_scalar(hostile)
    if wanted is None:
        return False
    date = isinstance(wanted, str) and DATE_LIKE.match(wanted)
    for value in stored:
        if isinstance(value, bool):
            continue
        if date and isinstance(value, str) and DATE_LIKE.match(value) and value[:10] == wanted[:10]:
            return True
        if type(value) in (int, float) and type(wanted) in (int, float) and value == wanted:
            return True
        if isinstance(value, str) and isinstance(wanted, str) and value == wanted:
            return True
    return False


async def judge(case: Case, response: Any, before: Mapping[str, Any], after: Mapping[str, Any],
                *, acceptable: Iterable[str], not_stored: Iterable[str], refusal_writes: Iterable[str] = (),
                bare: bool = False) -> list[str]:
    """What is wrong with the answer to ``case`` (nothing: an empty list). ``refusal_writes``: tables a refusal
    may still write (a failed login counts towards the lock-out); ``bare``: the route's refusals are for
    machines and carry no message (see ``BARE_REFUSALS``)."""
    status = response.status_code
    if status >= 500:
        return [f"{case.label}: {status}"]
    rows = written(before, after)
    problems = []
    if status >= 400:
        if set(rows) - set(refusal_writes):
            problems.append(f"{case.label}: refused with {status} yet wrote to {sorted(rows)}")
        texts = error_texts(response)
        if not texts and not bare:
            problems.append(f"{case.label}: {status} without a message")
        elif left := untranslated(texts):
            problems.append(f"{case.label}: {status} with untranslated messages {left}")
        if "html" in response.headers.get("content-type", "") and (english := english_left(response.text)):
            problems.append(f"{case.label}: {status} page with English left {english[:3]}")
        if case.cls == "huge_body" and status != 413:
            problems.append(f"{case.label}: 10 MB answered {status}, not 413")
        return problems
    if case.cls == "huge_body":
        return [f"{case.label}: a 10 MB body was accepted ({status})"]
    if not rows or case.field in not_stored or case.value is None:
        return problems
    values = [value for table in rows.values() for row in table for value in scalars(row)]
    if case.cls in acceptable and case.textual:
        texts = [value for value in values if isinstance(value, str)]
        if not any(text in variants(case.value) for text in texts):
            problems.append(f"{case.label}: accepted ({status}) but stored neither as sent nor normalised")
    elif case.cls == "nul":
        if any(isinstance(v, str) and "before" in v and "after" in v for v in values):
            problems.append(f"{case.label}: a NUL byte was accepted ({status}) and the text stored")
    elif case.cls not in acceptable and _holds(values, case.value):
        problems.append(f"{case.label}: accepted ({status}) and stored {case.value!r}")
    return problems


# --- what the pages show -------------------------------------------------------------------------------------

# The corpus' markup as it would run if a page showed it unescaped, and links that would run script.
RAW_MARKUP = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
SCRIPT_LINK = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)
# Never read by the walk: the schema (no data), static files, and streams that do not end.
NOT_READ = re.compile(r"^/(schema|static)(/|$)|/stream$")


def markup_problems(path: str, response: Any) -> list[str]:
    """Markup of the corpus that a page (or an SVG) shows as markup instead of text."""
    kind = response.headers.get("content-type", "")
    if "html" not in kind and "svg" not in kind:
        return []
    found = [f"{path}: shows {raw!r} unescaped" for raw in RAW_MARKUP if raw in response.text]
    if SCRIPT_LINK.search(response.text):
        found.append(f"{path}: links to javascript:")
    return found


async def read_every_page(app, world: Mapping[str, Any], admin: Any, public: Any) -> list[str]:
    """Every page, file and export the app serves (as the administrator where staff, else as the public),
    about each of the world's subjects: a 500, or the corpus' markup shown unescaped, is a problem."""
    from hostile_world import path_values

    problems: list[str] = []
    seen: set[str] = set()
    for pattern in page_routes(app):
        if NOT_READ.search(pattern):
            continue
        staff = (pattern.startswith("/staff") or pattern.startswith("/api/v1/staff")) and not DOOR_PAGES.match(pattern)
        for variant in page_variants(world):
            path = fill(pattern, {**path_values(world, pattern), **variant})
            if path in seen:
                continue
            seen.add(path)
            for query in ("", "?format=xlsx", "?format=csv-comma") if "export" in pattern else ("",):
                response = await (admin if staff else public).get(path + query)
                if response.status_code >= 500:
                    problems.append(f"{path + query}: {response.status_code}")
                problems += markup_problems(path + query, response)
    return problems
