"""What requests send, read safely: the guard every request passes, and whole numbers and dates from forms.

The guard (``InputGuardMiddleware``) answers 400 before any handler runs to what no browser or honest client
sends and no database should store: NUL characters (PostgreSQL refuses them in text, SQLite would keep them)
and bytes that are not UTF-8, in the path, the query string, a URL-encoded form or a JSON body (and JSON nested
deeper than a parser follows); and 404 to an
id in the path beyond what the id columns hold (the databases would fail on it, not find nothing). A URL-encoded
body with raw UTF-8 in it (``curl -d name=Søren``) is read as UTF-8, as the WHATWG form encoding says, where
Litestar alone would read it as Latin-1. Multipart bodies are files: their readers check what they hold.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qsl, quote_from_bytes

import msgspec
from litestar import Request
from litestar.exceptions import NotFoundException, ValidationException
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

# The largest whole number a form field may hold: any id or count fits a 32-bit column below it.
MAX_WHOLE_NUMBER = 2**31 - 1

# Dates people type are within these years; anything else is a typo, and the far ends overflow when a time is
# moved between time zones (midnight of 1 January in year 1 in Copenhagen is in year 0 in UTC).
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100


def whole_number(raw: object, maximum: int = MAX_WHOLE_NUMBER) -> int | None:
    """A whole number from a form or query (decimal digits, of any script, as ``int()`` reads them; spaces
    around), at most ``maximum``; None for anything else: signs, fractions, superscripts, numbers too large."""
    if not isinstance(raw, str):
        return None
    digits = raw.strip()
    if not digits.isdecimal() or len(digits) > len(str(maximum)):
        return None
    value = int(digits)
    return value if value <= maximum else None


def plausible(moment: date) -> bool:
    """Whether a typed date (or time) lies in the years anyone plans events and actions for."""
    return EARLIEST_YEAR <= moment.year <= LATEST_YEAR


# --- the guard --------------------------------------------------------------------------------------------

_FORM = "application/x-www-form-urlencoded"
_RAW_NON_ASCII = re.compile(rb"[\x80-\xff]+")


class InputGuardMiddleware:
    """Refuse NUL characters and bytes that are not UTF-8 with a 400 (see the module's docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if "\x00" in scope["path"]:
                raise ValidationException(extra=[{"key": "path"}])
            # The pages' ids; the API declares its range itself (``samrad.core.openapi.PathId``: a documented 400).
            if not scope["path"].startswith("/api/") and any(
                isinstance(value, int) and not 0 <= value <= MAX_WHOLE_NUMBER
                for value in scope.get("path_params", {}).values()
            ):
                raise NotFoundException()  # no row has an id beyond the columns' range
            _check_pairs(scope.get("query_string", b""))
            request: Request = Request(scope, receive)
            content_type = request.content_type[0]
            if content_type == _FORM:
                _check_form(scope, await request.body())
            elif content_type == "application/json" or content_type.endswith("+json"):
                _check_json(await request.body())
        await self.app(scope, receive, send)


def _check_pairs(encoded: bytes) -> None:
    """Every name and value of a query string or form: UTF-8 once percent-decoded, and no NUL."""
    if not encoded:
        return
    try:
        pairs = parse_qsl(encoded.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise ValidationException(extra=[{"key": ""}]) from None
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            raise ValidationException(extra=[{"key": name.replace("\x00", "")}])


def _check_form(scope: Scope, body: bytes) -> None:
    _check_pairs(body)
    if _RAW_NON_ASCII.search(body):
        # Valid UTF-8 (checked above), typed without percent-escapes: escape it, so Litestar reads it as UTF-8.
        ScopeState.from_scope(scope).body = _RAW_NON_ASCII.sub(lambda m: quote_from_bytes(m.group()).encode(), body)


def _check_json(body: bytes) -> None:
    """UTF-8, no NUL in any string, and nesting a parser can follow (msgspec gives up on very deep nesting with a
    RecursionError, which would be a 500)."""
    if not body:
        return
    try:
        body.decode("utf-8")
        document = msgspec.json.decode(body)
    except (UnicodeDecodeError, RecursionError):
        raise ValidationException(extra=[{"key": ""}]) from None
    except msgspec.DecodeError:
        return  # not JSON: the handler's own parsing says so
    if b"\\u0000" in body and _holds_nul(document):
        raise ValidationException(extra=[{"key": ""}])


def _holds_nul(document: object) -> bool:
    """Whether any key or string of a decoded JSON document holds a NUL (walked without recursion: a body may
    nest deeper than Python's stack)."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False
