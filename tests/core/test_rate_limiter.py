"""The rate limiter's sliding window: a burst at the turn of a window is not let through twice, and a window's
hits stop counting once it has slid past; the same in memory and in Redis (shared by several processes)."""

from __future__ import annotations

import uuid

import pytest
from litestar.exceptions import TooManyRequestsException
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore

from samrad.core import security
from samrad.core.security import RateLimiter

LIMIT = (10, 900)


@pytest.fixture(params=["memory", "redis"])
async def limiter(request):
    if request.param == "memory":
        yield RateLimiter(MemoryStore())
        return
    store = RedisStore.with_client(url="redis://127.0.0.1:6379/14", namespace=f"test-{uuid.uuid4().hex}")
    yield RateLimiter(store)
    await store.delete_all()
    await store._redis.aclose()


def at(monkeypatch, moment: float) -> None:
    monkeypatch.setattr(security.time, "time", lambda: moment)


async def hits(limiter: RateLimiter, count: int) -> int:
    """How many of ``count`` hits are let through."""
    allowed = 0
    for _ in range(count):
        try:
            await limiter.hit("login", "203.0.113.7", LIMIT)
            allowed += 1
        except TooManyRequestsException:
            pass
    return allowed


async def test_a_burst_across_the_turn_of_a_window_is_limited_once(limiter, monkeypatch):
    turn = 900 * 2_000_000.0
    at(monkeypatch, turn - 1)
    assert await hits(limiter, 6) == 6
    at(monkeypatch, turn + 1)
    assert await hits(limiter, 6) == 4, "a fixed window would let all six through"


async def test_old_hits_stop_counting_as_the_window_slides(limiter, monkeypatch):
    turn = 900 * 2_000_001.0
    at(monkeypatch, turn - 1)
    assert await hits(limiter, 10) == 10
    at(monkeypatch, turn + 450)
    assert await hits(limiter, 6) == 5, "half of the previous window's ten still count"
    at(monkeypatch, turn + 1800 + 1)
    assert await hits(limiter, 10) == 10, "a whole window later nothing of the first ten counts"


async def test_the_blocked_answer_says_when_to_come_back(limiter, monkeypatch):
    turn = 900 * 2_000_002.0
    at(monkeypatch, turn + 300)
    await hits(limiter, 10)
    with pytest.raises(TooManyRequestsException) as blocked:
        await limiter.hit("login", "203.0.113.7", LIMIT)
    assert blocked.value.headers["Retry-After"] == "600"
