"""Server-side sessions that exist only once something is put in them.

Litestar's backend writes the store and sets a cookie on every response, even for a visitor whose session is
empty: a store write per page view, and a cookie for people who only read. Here a visitor without a session
cookie and with nothing in their session gets neither; the first value put in it (a login, a registration's
confirmation) starts the session as before. Nor is a session id drawn for them (32 random bytes per request)
until then.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Message, ScopeSession


class LazySessionBackend(ServerSideSessionBackend):
    def get_session_id(self, connection: ASGIConnection) -> str:
        """No id for a visitor without a session cookie while their session is empty: the middleware asks for
        one at the start of every request, and storing a session asks again once there is something in it."""
        if self.config.key not in connection.cookies and not connection.scope.get("session"):
            return connection.get_session_id() or ""
        return super().get_session_id(connection)

    async def store_in_message(self, scope_session: ScopeSession, message: Message, connection: ASGIConnection) -> None:
        if not scope_session and self.config.key not in connection.cookies:
            return
        await super().store_in_message(scope_session, message, connection)


class LazySessionConfig(ServerSideSessionConfig):
    _backend_class = LazySessionBackend
