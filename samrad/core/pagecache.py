"""Public pages rendered once and served from memory until something they show changes.

A route handler opts in with ``opt={"page_cache": True}`` when its page is the same for every visitor (no
session, no form with a CSRF token, nothing but the language, the address and the data). Its ``GET`` 200
answers are kept per (language, path, query string) together with the content version they were rendered
at (``samrad.core.db``): every ``atomic()`` moves that version in the same transaction as its change, so a
cached page is served only while the committed version is still the one it was rendered at, and never after
a commit that may change it. The version is read before rendering, so a page holds data at least as new as
the version it is kept under. The price of a hit is one primary-key read of the version.

What the cache does not learn from the version is the clock (a registration window opening, a date passing):
an entry also expires at the end of its clock period, the one minute of wall time it was rendered in (the
granularity of every time the pages show), or a longer period a route names (``opt={"page_cache": 3600}``: the
calendar files, whose only clock is DTSTAMP and a 90-day window, and which tell calendars to refresh hourly).

Each server process keeps its own cache in its own memory (``samrad serve --workers N`` has N of them); the
version lives in the database, so every process is exactly as fresh as the others. Memory is bounded: at most
``MAX_ENTRIES`` pages and ``MAX_BYTES`` in all, least recently used first out, and no page over
``MAX_ENTRY_BYTES`` is kept.

Answers carry an ``ETag``, a SHA-256 of the cache key, the content version and the clock period: every
process gives the same page the same tag, and a commit or the next period changes it. ``If-None-Match`` with
it is answered ``304`` without a body, so a calendar polling a feed downloads it again only after a change
(not a hash of the bytes: a feed's DTSTAMP is the time it was rendered, so its bytes differ at every render).
A deploy that changes a template keeps the tags until the period ends.

A cached answer never replays a ``Set-Cookie``: cookies are stripped before an answer is kept (the CSRF
middleware sets one for a visitor without it; the cached pages have no forms that need it). The frame's
``before_send`` hook runs outside this middleware, so cached and ``304`` answers get the security headers (and
a ``?lang=`` cookie) like any other. Litestar answers ``HEAD`` on these routes with 405 before any middleware,
so only ``GET`` is cached.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from samrad.core import db, i18n

OPT_KEY = "page_cache"
MAX_ENTRIES = 512
MAX_BYTES = 32 * 1024 * 1024
MAX_ENTRY_BYTES = 4 * 1024 * 1024
CLOCK_PERIOD_SECONDS = 60  # ``opt={"page_cache": True}``; a number of seconds instead sets a longer period

# Headers a 304 repeats from the 200 it stands for (RFC 9110, 15.4.5).
_NOT_MODIFIED_HEADERS = frozenset({b"cache-control", b"content-location", b"date", b"etag", b"expires", b"vary"})

Key = tuple[str, str, bytes]


@dataclass(slots=True)
class Entry:
    version: int
    expires_at: float
    headers: list[tuple[bytes, bytes]]  # as sent, without Set-Cookie, with the ETag
    body: bytes
    etag: bytes

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(name) + len(value) for name, value in self.headers)


@dataclass
class PageCache:
    """A bounded LRU of rendered pages, and the renders under way (so a burst of requests for a page that
    just went stale renders it once, not once per request)."""

    max_entries: int = MAX_ENTRIES
    max_bytes: int = MAX_BYTES
    max_entry_bytes: int = MAX_ENTRY_BYTES
    entries: OrderedDict[Key, Entry] = field(default_factory=OrderedDict)
    total_bytes: int = 0
    hits: int = 0
    misses: int = 0
    rendering: dict[tuple[Key, int], asyncio.Future[None]] = field(default_factory=dict)
    clock: Callable[[], float] = time.time  # wall-clock seconds; tests hold it still

    def get(self, key: Key, version: int, now: float) -> Entry | None:
        entry = self.entries.get(key)
        if entry is None or entry.version != version or entry.expires_at <= now:
            return None
        self.entries.move_to_end(key)
        return entry

    def put(self, key: Key, entry: Entry) -> bool:
        if entry.size > self.max_entry_bytes:
            return False
        self.discard(key)
        self.entries[key] = entry
        self.total_bytes += entry.size
        while len(self.entries) > self.max_entries or self.total_bytes > self.max_bytes:
            _key, oldest = self.entries.popitem(last=False)
            self.total_bytes -= oldest.size
        return True

    def discard(self, key: Key) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.total_bytes -= entry.size

    def clear(self) -> None:
        self.entries.clear()
        self.total_bytes = 0


def clock_period(opt_value: object) -> int:
    """How long a route's answer may lag the wall clock, from its ``opt["page_cache"]``."""
    if isinstance(opt_value, int) and not isinstance(opt_value, bool) and opt_value > 0:
        return opt_value
    return CLOCK_PERIOD_SECONDS


def make_etag(key: Key, version: int, period_start: int) -> bytes:
    """The same in every process for the same page, version and clock period; anything else changes it."""
    digest = hashlib.sha256(repr((key, version, period_start)).encode()).hexdigest()[:32]
    return f'"{digest}"'.encode()


def etag_matches(if_none_match: bytes | None, etag: bytes) -> bool:
    """``If-None-Match`` uses the weak comparison: ``W/`` is ignored, ``*`` matches anything."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(b","):
        candidate = candidate.strip()
        if candidate == b"*" or candidate.removeprefix(b"W/") == etag:
            return True
    return False


class PageCacheMiddleware:
    """Serves opted-in ``GET`` routes from a ``PageCache``. Listed after ``LocaleMiddleware`` (the key needs the
    chosen language) and outside Litestar's CSRF middleware, which a hit never reaches."""

    def __init__(self, app: ASGIApp, cache: PageCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or handler is None
            or not handler.opt.get(OPT_KEY)
        ):
            await self.app(scope, receive, send)
            return
        key: Key = (i18n.current_locale(), scope["path"], scope.get("query_string", b""))
        period = clock_period(handler.opt[OPT_KEY])
        if_none_match = _header(scope, b"if-none-match")
        version = await db.content_version()
        while True:
            entry = self.cache.get(key, version, self.cache.clock())
            if entry is not None:
                self.cache.hits += 1
                await _replay(entry, if_none_match, send)
                return
            under_way = self.cache.rendering.get((key, version))
            if under_way is None:
                break
            await asyncio.shield(under_way)
            if self.cache.get(key, version, self.cache.clock()) is None:
                break  # the render under way kept nothing (an error page, a page too large): render here
        self.cache.misses += 1
        done = asyncio.get_running_loop().create_future()
        self.cache.rendering[(key, version)] = done
        try:
            recorder = _Recorder(self.cache, key, version, period, if_none_match, send)
            await self.app(scope, receive, recorder)
        finally:
            if self.cache.rendering.get((key, version)) is done:
                del self.cache.rendering[(key, version)]
            done.set_result(None)


class _Recorder:
    """The ``send`` of a render: holds back a 200 until its body is complete, keeps it, then sends it (or a
    304) with its ETag. Anything else, and a body over the size limit, passes straight through."""

    def __init__(
        self, cache: PageCache, key: Key, version: int, period: int, if_none_match: bytes | None, send: Send
    ) -> None:
        self.cache = cache
        self.key = key
        self.version = version
        # The clock period starts before rendering: a render that ends in the next one is already due then.
        self.period_start = int(cache.clock() // period) * period
        self.period = period
        self.if_none_match = if_none_match
        self.send = send
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.passing = False

    async def __call__(self, message: Message) -> None:
        if self.passing:
            await self.send(message)
        elif message["type"] == "http.response.start":
            if message["status"] == 200:
                self.start = message
            else:
                self.passing = True
                await self.send(message)
        elif message["type"] == "http.response.body" and self.start is not None:
            body = message.get("body", b"")
            self.chunks.append(body)
            self.size += len(body)
            if self.size > self.cache.max_entry_bytes:
                await self._pass_on(message.get("more_body", False))
            elif not message.get("more_body", False):
                await self._finish()
        else:
            await self.send(message)

    async def _pass_on(self, more_body: bool) -> None:
        """Too large to keep: send what was held back and stream the rest."""
        assert self.start is not None
        self.passing = True
        await self.send(self.start)
        await self.send({"type": "http.response.body", "body": b"".join(self.chunks), "more_body": more_body})
        self.chunks.clear()

    async def _finish(self) -> None:
        assert self.start is not None
        body = b"".join(self.chunks)
        etag = make_etag(self.key, self.version, self.period_start)
        sent = list(self.start.get("headers", []))
        kept = [(name, value) for name, value in sent if name.lower() != b"set-cookie"]
        kept.append((b"etag", etag))
        entry = Entry(self.version, self.period_start + self.period, kept, body, etag)
        self.cache.put(self.key, entry)
        # This request's own answer keeps its cookies (made for it, not replayed).
        live = Entry(self.version, entry.expires_at, [*sent, (b"etag", etag)], body, etag)
        await _replay(live, self.if_none_match, self.send)


async def _replay(entry: Entry, if_none_match: bytes | None, send: Send) -> None:
    # Fresh lists: the hooks outside add headers to the message they get, and must not add them to the entry.
    if etag_matches(if_none_match, entry.etag):
        headers = [(name, value) for name, value in entry.headers if name.lower() in _NOT_MODIFIED_HEADERS]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    await send({"type": "http.response.start", "status": 200, "headers": list(entry.headers)})
    await send({"type": "http.response.body", "body": entry.body, "more_body": False})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return value
    return None
