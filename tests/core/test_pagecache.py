"""The kernel's page cache and the content version ``atomic()`` moves: bounds, keys, cookies, headers, 304s,
and the version moving once per transaction, as its last statement, and never on a rollback."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from litestar import Response, get
from litestar.datastructures import Cookie

from samrad.core import db
from samrad.core.pagecache import Entry, PageCache, clock_period, etag_matches, make_etag

_routes = itertools.count(1)


def _entry(version: int = 1, body: bytes = b"x", expires_at: float = 1e12) -> Entry:
    return Entry(version, expires_at, [(b"content-type", b"text/html")], body, b'"tag"')


# --- the LRU ----------------------------------------------------------------------------------------------


async def test_an_entry_is_served_only_for_its_version_and_clock_period():
    cache = PageCache()
    key = ("en", "/", b"")
    cache.put(key, _entry(version=7, expires_at=1000.0))

    assert cache.get(key, 7, now=999.0) is not None
    assert cache.get(key, 8, now=999.0) is None, "a commit since"
    assert cache.get(key, 6, now=999.0) is None, "the version row was emptied and began again"
    assert cache.get(key, 7, now=1000.0) is None, "the clock period is over"


async def test_the_cache_is_bounded_in_entries_and_bytes_least_recently_used_first_out():
    cache = PageCache(max_entries=3, max_bytes=10_000, max_entry_bytes=4_000)
    for number in range(3):
        cache.put(("en", f"/{number}", b""), _entry())
    cache.get(("en", "/0", b""), 1, now=0)
    cache.put(("en", "/3", b""), _entry())

    assert list(cache.entries) == [("en", "/2", b""), ("en", "/0", b""), ("en", "/3", b"")]

    assert not cache.put(("en", "/huge", b""), _entry(body=b"x" * 5_000)), "over the size of one entry"
    for number in range(3):
        cache.put(("en", f"/big{number}", b""), _entry(body=b"x" * 3_900))
    assert cache.total_bytes <= 10_000
    assert len(cache.entries) == 2
    assert cache.total_bytes == sum(entry.size for entry in cache.entries.values())


async def test_replacing_an_entry_keeps_the_byte_count_right():
    cache = PageCache()
    key = ("en", "/", b"")
    cache.put(key, _entry(body=b"x" * 100))
    cache.put(key, _entry(version=2, body=b"x" * 10))

    assert len(cache.entries) == 1
    assert cache.total_bytes == cache.entries[key].size


async def test_the_etag_changes_with_the_key_the_version_and_the_clock_period():
    key = ("en", "/events/a", b"")
    tag = make_etag(key, 1, 600)

    assert tag == make_etag(key, 1, 600), "every process gives the same page the same tag"
    assert len({tag, make_etag(key, 2, 600), make_etag(key, 1, 660), make_etag(("sv", *key[1:]), 1, 600)}) == 4
    assert etag_matches(b'"a", ' + tag, tag)
    assert etag_matches(b"W/" + tag, tag)
    assert etag_matches(b"*", tag)
    assert not etag_matches(b'"other"', tag)
    assert not etag_matches(None, tag)


async def test_a_route_names_how_long_it_may_lag_the_clock():
    assert clock_period(True) == 60
    assert clock_period(3600) == 3600
    assert clock_period(0) == 60


# --- the content version ----------------------------------------------------------------------------------


async def test_every_write_transaction_moves_the_version_once():
    from samrad.core.tables import AuditEntry

    before = await db.content_version()
    async with db.atomic():
        await AuditEntry.insert(AuditEntry(action="test.outer"))
        async with db.atomic():
            await AuditEntry.insert(AuditEntry(action="test.inner"))
        async with db.atomic():
            pass

    assert await db.content_version() == before + 1


async def test_a_rolled_back_transaction_leaves_the_version():
    from samrad.core.tables import AuditEntry

    async with db.atomic():
        pass
    before = await db.content_version()
    with pytest.raises(RuntimeError):
        async with db.atomic():
            await AuditEntry.insert(AuditEntry(action="test.rolled_back"))
            raise RuntimeError("no")

    assert await db.content_version() == before
    assert not await AuditEntry.exists().where(AuditEntry.action == "test.rolled_back")


async def test_the_version_moves_last_just_before_commit(monkeypatch):
    """On PostgreSQL every writer locks the version row: locked last, it is held for the commit only."""
    from samrad.core.tables import AuditEntry

    engine_class = type(db.engine())
    original = engine_class.run_querystring
    statements: list[str] = []

    async def recording(self, querystring, *args, **kwargs):
        statements.append(str(querystring))
        return await original(self, querystring, *args, **kwargs)

    monkeypatch.setattr(engine_class, "run_querystring", recording)
    async with db.atomic():
        await AuditEntry.insert(AuditEntry(action="test.first"))
        await AuditEntry.insert(AuditEntry(action="test.second"))

    assert len(statements) == 3
    assert "content_version" in statements[-1]
    assert all("content_version" not in statement for statement in statements[:-1])


async def test_atomic_inside_a_transaction_atomic_did_not_open_still_moves_the_version():
    before = await db.content_version()
    async with db.engine().transaction(), db.atomic():
        pass

    assert await db.content_version() == before + 1


async def test_an_emptied_version_table_starts_again():
    await db.engine().run_ddl("DELETE FROM content_version")
    assert await db.content_version() == 0
    async with db.atomic():
        pass
    assert await db.content_version() == 1


# --- the middleware ---------------------------------------------------------------------------------------


@pytest.fixture
def cache(app) -> PageCache:
    """The app's cache, its clock held in the middle of a minute (no period ends between two requests)."""
    app.state.page_cache.clock = lambda: 1_800_000_030.0
    return app.state.page_cache



def _register_counting_route(app, *, status: int = 200, cached: object = True) -> tuple[str, dict[str, int]]:
    """A route that counts its renders and sets a cookie, as the CSRF middleware or a handler may."""
    path = f"/cache-test-{next(_routes)}"
    calls = {"count": 0}
    opt = {"page_cache": cached} if cached else {}

    @get(path, opt=opt, sync_to_thread=False)
    def counted() -> Response[str]:
        calls["count"] += 1
        return Response(
            content=f"render {calls['count']}", status_code=status, media_type="text/html",
            cookies=[Cookie(key="secret_cookie", value=f"for-one-visitor-{calls['count']}")],
        )

    app.register(counted)
    return path, calls


async def test_a_cached_answer_never_replays_a_cookie(app, client, cache):
    path, calls = _register_counting_route(app)

    first = await client.get(path)
    client.cookies.clear()
    second = await client.get(path)

    assert calls["count"] == 1
    assert second.text == first.text == "render 1"
    assert "secret_cookie=for-one-visitor-1" in first.headers["set-cookie"], "the render's own answer keeps it"
    assert "set-cookie" not in second.headers
    assert all(name != b"set-cookie" for entry in cache.entries.values() for name, _ in entry.headers)


async def test_cached_and_304_answers_carry_the_frame_headers(app, client, cache):
    path, _calls = _register_counting_route(app)
    first = await client.get(path)
    cached = await client.get(path)
    not_modified = await client.get(path, headers={"if-none-match": first.headers["etag"]})

    for response in (cached, not_modified):
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert "content-type" not in not_modified.headers


async def test_the_render_that_fills_the_cache_answers_304_too(app, client, cache):
    path, calls = _register_counting_route(app)
    tag = (await client.get(path)).headers["etag"]
    cache.clear()

    response = await client.get(path, headers={"if-none-match": tag})

    assert calls["count"] == 2
    assert response.status_code == 304, "same version and clock period: the same tag"


async def test_routes_that_do_not_opt_in_and_error_answers_are_not_kept(app, client, cache):
    plain, plain_calls = _register_counting_route(app, cached=False)
    failing, failing_calls = _register_counting_route(app, status=404)
    for _ in range(2):
        await client.get(plain)
        await client.get(failing)

    assert plain_calls["count"] == 2 and failing_calls["count"] == 2
    assert not cache.entries
    assert "etag" not in (await client.get(plain)).headers


async def test_a_commit_renders_the_page_again(app, client, cache):
    path, calls = _register_counting_route(app)
    await client.get(path)
    await client.get(path)
    async with db.atomic():
        pass
    third = await client.get(path)

    assert calls["count"] == 2
    assert third.text == "render 2"


async def test_concurrent_misses_render_once(app, client, cache):
    path = f"/cache-test-{next(_routes)}"
    calls = {"count": 0}

    @get(path, opt={"page_cache": True})
    async def slow() -> str:
        calls["count"] += 1
        await asyncio.sleep(0.05)
        return "slow page"

    app.register(slow)
    responses = await asyncio.gather(*(client.get(path) for _ in range(5)))

    assert [response.text for response in responses] == ["slow page"] * 5
    assert calls["count"] == 1


async def test_the_end_of_the_clock_period_renders_the_page_again(app, client, cache):
    minute, calls = _register_counting_route(app)
    hour, hour_calls = _register_counting_route(app, cached=3600)
    first, first_hourly = await client.get(minute), await client.get(hour)

    cache.clock = lambda: 1_800_000_030.0 + 60
    second, second_hourly = await client.get(minute), await client.get(hour)

    assert calls["count"] == 2 and second.headers["etag"] != first.headers["etag"]
    assert hour_calls["count"] == 1 and second_hourly.headers["etag"] == first_hourly.headers["etag"]

