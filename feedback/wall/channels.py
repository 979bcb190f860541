"""The live wall's channels (Litestar's channels plugin), on the backend the settings choose.

In memory a message reaches the walls of this process only, which is all one server process needs. With
several processes (``samrad serve --workers N``) a wall may be connected to one process while input is captured
on another, so the channels must run on something they share: Redis pub/sub (``SAMRAD_REDIS_URL``) or PostgreSQL
LISTEN/NOTIFY on the app's own database (``SAMRAD_CHANNELS=postgres``).
"""

from __future__ import annotations

from types import TracebackType

from litestar.channels import ChannelsBackend, ChannelsPlugin
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from redis.asyncio import Redis

from feedback import live
from samrad.core.settings import Settings

# Messages a slow viewer may have waiting before the oldest are dropped (its next reconnect starts from a
# fresh snapshot anyway).
SUBSCRIBER_BACKLOG = 500


def backend_name(settings: Settings) -> str:
    return settings.channels or ("redis" if settings.redis_url else "memory")


def build_backend(settings: Settings) -> ChannelsBackend:
    name = backend_name(settings)
    if name == "redis":
        if not settings.redis_url:
            raise ValueError("SAMRAD_CHANNELS=redis needs SAMRAD_REDIS_URL")
        return RedisChannelsPubSubBackend(redis=Redis.from_url(settings.redis_url), key_prefix="samrad_channels")
    if name == "postgres":
        if settings.is_sqlite:
            raise ValueError("SAMRAD_CHANNELS=postgres needs a PostgreSQL DATABASE_URL")
        return AsyncPgChannelsBackend(dsn=settings.database_url)
    return MemoryChannelsBackend()


class WallChannels(ChannelsPlugin):
    """Litestar's channels plugin, known to ``feedback.live`` while the app runs, so that services can
    announce input without a request at hand."""

    async def __aenter__(self) -> WallChannels:
        await super().__aenter__()
        live.attach(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        live.detach(self)
        await super().__aexit__(exc_type, exc_val, exc_tb)


def wall_channels(settings: Settings) -> WallChannels:
    return WallChannels(
        backend=build_backend(settings),
        arbitrary_channels_allowed=True,
        subscriber_max_backlog=SUBSCRIBER_BACKLOG,
        subscriber_backlog_strategy="dropleft",
    )
