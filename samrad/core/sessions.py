"""Server-side sessions that exist only once something is put in them.

Litestar's backend writes the store and sets a cookie on every response, even for a visitor whose session is
empty: a store write per page view, and a cookie for people who only read. Here a visitor without a session
cookie and with nothing in their session gets neither; the first value put in it (a login, a registration's
confirmation) starts the session as before. Nor is a session id drawn for them (32 random bytes per request)
until then.

Storing a session writes its cookie header directly, with the attributes Litestar's ``Cookie`` gives it
(worked out once): Litestar builds each one through ``dataclasses.asdict`` and ``http.cookies``, which cost
about 4 % of a registration through the HTML form.
"""

from __future__ import annotations

import re
from functools import cached_property

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

# Session ids as ``generate_session_id`` draws them (hex) need no quoting in a cookie; any other value a
# client sent goes through Litestar's ``Cookie``.
_PLAIN_ID = re.compile(r"[0-9A-Za-z_-]+")


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
        session_id = self.get_session_id(connection) if scope_session and scope_session is not Empty else ""
        if not _PLAIN_ID.fullmatch(session_id):  # an emptied or deleted session, or an id to quote
            await super().store_in_message(scope_session, message, connection)
            return
        store = self.config.get_store_from_app(connection.scope["app"])
        await self.set(session_id=session_id, data=self.serialize_data(scope_session, connection.scope), store=store)
        cookie = f"{self.config.key}={session_id}{self._cookie_attributes}"
        MutableScopeHeaders.from_message(message).add("Set-Cookie", cookie)

    @cached_property
    def _cookie_attributes(self) -> str:
        """``; HttpOnly; Max-Age=…; Path=/; SameSite=lax`` (and ``; Secure``), as Litestar writes them."""
        params = extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys())
        header = Cookie(value="0", key=self.config.key, **dict(params)).to_header(header="")
        return header.removeprefix(f"{self.config.key}=0")


class LazySessionConfig(ServerSideSessionConfig):
    _backend_class = LazySessionBackend
