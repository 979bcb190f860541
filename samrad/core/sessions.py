"""Server-side sessions that exist only once something is put in them.

Litestar's backend writes the store and sets a cookie on every response, even for a visitor whose session is
empty: a store write per page view, and a cookie for people who only read. Here a visitor without a session
cookie and with nothing in their session gets neither; the first value put in it (a login, a registration's
confirmation) starts the session as before.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Message, ScopeSession


class LazySessionBackend(ServerSideSessionBackend):
    async def store_in_message(self, scope_session: ScopeSession, message: Message, connection: ASGIConnection) -> None:
        if not scope_session and self.config.key not in connection.cookies:
            return
        await super().store_in_message(scope_session, message, connection)


class LazySessionConfig(ServerSideSessionConfig):
    _backend_class = LazySessionBackend
