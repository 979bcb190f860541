"""Shared set-up for the live wall tests: an event with a workshop and themes, input captured and hidden
through the real services, and an httpx transport that streams a response while the app is still sending it
(httpx's own ASGITransport waits for the whole body, which an event stream never finishes)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

_numbers = itertools.count(1)
TIMEOUT = 5.0


class StreamingASGITransport(httpx.AsyncBaseTransport):
    """Runs the app in a task and hands its body to the client chunk by chunk. Closing the response tells
    the app the client went away (``http.disconnect``), as a browser leaving the wall does."""

    def __init__(self, app: Any, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self.app = app
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": request.method,
            "headers": [(key.lower(), value) for key, value in request.headers.raw], "scheme": request.url.scheme,
            "path": request.url.path, "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query, "server": (request.url.host, request.url.port or 443),
            "client": self.client, "root_path": "",
        }
        chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
        started: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        gone = asyncio.Event()
        sent_body = False

        async def receive() -> dict[str, Any]:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.set_result(message)
            elif message["type"] == "http.response.body":
                if message.get("body"):
                    chunks.put_nowait(message["body"])
                if not message.get("more_body", False):
                    chunks.put_nowait(None)

        async def run() -> None:
            try:
                await self.app(scope, receive, send)
            finally:
                chunks.put_nowait(None)

        task = asyncio.create_task(run())
        waiter = asyncio.ensure_future(asyncio.shield(started))
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if not started.done():
            waiter.cancel()
            task.result()  # raises what the app raised
            raise RuntimeError("the app finished without answering")
        start = started.result()
        return httpx.Response(
            start["status"], headers=start.get("headers", []), stream=_Body(chunks, task, gone), request=request
        )


class _Body(httpx.AsyncByteStream):
    def __init__(self, chunks: asyncio.Queue[bytes | None], task: asyncio.Task, gone: asyncio.Event) -> None:
        self.chunks, self.task, self.gone = chunks, task, gone

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (chunk := await self.chunks.get()) is not None:
            yield chunk

    async def aclose(self) -> None:
        self.gone.set()
        try:
            await asyncio.wait_for(self.task, TIMEOUT)
        except TimeoutError:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


def streaming_client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=StreamingASGITransport(app), base_url="https://testserver.local")


@dataclass
class Event:
    name: str
    data: dict[str, Any]


class EventReader:
    """Reads server-sent events off a streaming response, each within a timeout."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.aiter_lines()

    async def next(self, timeout: float = TIMEOUT) -> Event:
        return await asyncio.wait_for(self._next(), timeout)

    async def _next(self) -> Event:
        name, data = "message", []
        async for line in self.lines:
            if line == "":
                if data:
                    return Event(name, json.loads("\n".join(data)))
                name = "message"
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        raise EOFError("the stream ended")

    async def next_named(self, name: str, timeout: float = TIMEOUT) -> Event:
        """The next event called ``name``, skipping others."""
        async def find() -> Event:
            while (event := await self._next()).name != name:
                pass
            return event

        return await asyncio.wait_for(find(), timeout)


@contextlib.asynccontextmanager
async def open_stream(http: httpx.AsyncClient, path: str) -> AsyncIterator[EventReader]:
    async with http.stream("GET", path, timeout=TIMEOUT) as response:
        assert response.status_code == 200, response.status_code
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventReader(response)


@contextlib.asynccontextmanager
async def wall_stream(app: Any, path: str) -> AsyncIterator[EventReader]:
    """A viewer of the wall at ``path`` (``/workshops/1/wall``): its stream, read event by event."""
    async with streaming_client(app) as http, open_stream(http, f"{path}/stream") as events:
        yield events


# --- data ------------------------------------------------------------------------------------------------

async def make_theme(code: str, colour: str, *, name: str | None = None) -> int:
    from feedback.tables import Policy, Theme

    number = next(_numbers)
    policy = Policy(code=f"wall-policy-{number}", kind="areas", name={"en": "Policy"})
    await policy.save()
    theme = Theme(
        policy=policy.id, code=code, name={"en": name or code.title(), "da": f"{name or code.title()} (da)"},
        colour=colour, theme_key=f"{policy.id}:{code}",
    )
    await theme.save()
    return theme.id


async def make_wall(*, published: bool = True, themes: tuple[int, ...] = ()) -> dict[str, Any]:
    """A published event with one workshop (with a join code) working on ``themes``."""
    from registration_support import make_event, make_workshop

    from feedback.tables import WorkshopTheme

    event = await make_event(published=published)
    workshop_id = await make_workshop(event["id"], title="Safe streets")
    for theme_id in themes:
        await WorkshopTheme(workshop=workshop_id, theme=theme_id, link_key=f"{workshop_id}:{theme_id}").save()
    return {"event": event, "event_id": event["id"], "slug": event["slug"], "workshop_id": workshop_id}


async def capture(workshop_id: int, text: str, *, theme_ids: tuple[int, ...] = (), participant: bool = False,
                  kind: str = "idea") -> dict[str, Any]:
    """One item through the capture service (a facilitator's, or a participant's when ``participant``)."""
    from feedback.capture import services
    from feedback.tables import InputSource

    context = await services.load_workshop(workshop_id)
    draft = services.parse_item(
        {"client_id": str(uuid.uuid4()), "text": text, "kind": kind, "theme_ids": list(theme_ids), "language": "en"},
        context, participant=participant,
    )
    assert not isinstance(draft, dict), draft
    if participant:
        captured = await services.submit_participant_input(context, draft, None)
    else:
        captured = (await services.capture(context, [draft], source=InputSource.facilitator))[0]
    return captured.item


async def hide(item_id: int) -> None:
    from feedback.moderation import services

    item = await services.item_or_none(item_id)
    assert await services.hide(item, None)


async def hold_event(event_id: int) -> None:
    """Participants' input to this event waits for a moderator."""
    from feedback.capture import services

    await services.save_input_settings(event_id, "pre", True, True)
