"""The live wall's figures for ``make bench``: capture items/s through the JSON API, and the delay from a
capture to its appearance on the wall with 50 viewers connected (target p99 < 1 s).

    python -m samrad.bench --only wall [--database-url postgresql://...]

The bench's server (``samrad serve``, one process, channels in memory, on its scratch database). Fifty wall viewers
read the workshop's event stream (``/workshops/{id}/wall/stream``) over loopback; items are captured with
``POST /api/v1/workshops/{id}/input`` and a bearer token. The delay of an item is the time from just before its
POST to the moment a viewer has read its ``input`` event, for every viewer and every item. Throughput is
measured first, with ten clients posting as fast as the server answers while the viewers stay connected. The
viewers run in a process of their own; all clients are Python on the same cores as the server, so the figures
include their cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

VIEWERS = 50
POSTERS = 10
DELAY_P99_TARGET_MS = 1000
PACED_ITEMS_PER_S = 10  # a busy workshop: several tables capturing at once
BENCH_EMAIL = "wall-bench@bench.example"


@dataclass
class WallFigures:
    items_per_s: float
    post_errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    delays: int
    missing: int
    viewers: int

    def rows(self) -> list[tuple[str, str, str, bool | None]]:
        """(figure, measured, target, met) for the bench's table."""
        return [
            (
                f"capture through the API, {POSTERS} concurrent, {self.viewers} wall viewers",
                f"{self.items_per_s:.0f} items/s, {self.post_errors} errors",
                "",
                None,
            ),
            (
                f"capture-to-wall delay, {self.viewers} viewers, {PACED_ITEMS_PER_S} items/s",
                f"p50 {self.p50_ms:.0f} ms, p99 {self.p99_ms:.0f} ms, max {self.max_ms:.0f} ms "
                f"({self.delays} deliveries, {self.missing} missing)",
                f"p99 < {DELAY_P99_TARGET_MS} ms, none missing",
                self.p99_ms < DELAY_P99_TARGET_MS and not self.missing,
            ),
        ]


async def prepare_workshop() -> tuple[int, str]:
    """A published event with a workshop, and an admin's bearer token to capture with."""
    from events.tables import Event, Occurrence
    from samrad.core.accounts import create_api_token, create_staff_user
    from samrad.core.tables import Role, StaffUser
    from workshops.tables import Workshop

    begins = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    marker = uuid.uuid4().hex[:8]
    event = Event(
        slug=f"bench-wall-{marker}",
        kind="conference",
        title={"en": "Wall bench", "da": "Væg-test"},
        starts_at=begins,
        ends_at=begins + timedelta(hours=6),
        ical_uid=f"{marker}@bench-wall",
    )
    await event.save()
    await Occurrence(event=event.id, starts_at=event.starts_at, ends_at=event.ends_at).save()
    workshop = Workshop(event=event.id, title={"en": "Wall bench"}, join_code=f"B{marker[:6].upper()}")
    await workshop.save()
    if not await StaffUser.exists().where(StaffUser.email == BENCH_EMAIL):
        await create_staff_user(BENCH_EMAIL, "Wall bench", None, Role.admin.value)
    token = await create_api_token(BENCH_EMAIL, f"wall bench {marker}")
    return workshop.id, token


class Viewer:
    """One wall: reads the stream and notes when each captured text arrived."""

    def __init__(self, client, url: str, arrivals: list[tuple[str, float]]) -> None:
        self.client, self.url, self.arrivals = client, url, arrivals
        self.ready = asyncio.Event()

    async def run(self) -> None:
        async with self.client.stream("GET", self.url, timeout=None) as response:
            event = ""
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "snapshot":
                    self.ready.set()
                elif line.startswith("data:") and event == "input":
                    self.arrivals.append((json.loads(line[5:])["text"], time.perf_counter()))


def watch(url: str, ready, stop, results) -> None:
    """The viewers, in a process of their own (so reading fifty streams does not slow the capturing client):
    set ``ready`` once every wall has its snapshot, read until ``stop``, put the arrivals in ``results``.
    ``time.perf_counter`` is the system's monotonic clock, the same in both processes."""
    asyncio.run(_watch(url, ready, stop, results))


async def _watch(url: str, ready, stop, results) -> None:
    import httpx

    arrivals: list[tuple[str, float]] = []
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=VIEWERS + 5), timeout=30) as client:
        viewers = [Viewer(client, url, arrivals) for _ in range(VIEWERS)]
        tasks = [asyncio.create_task(viewer.run()) for viewer in viewers]
        await asyncio.wait_for(asyncio.gather(*(viewer.ready.wait() for viewer in viewers)), 60)
        ready.set()
        await asyncio.to_thread(stop.wait)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    results.put(arrivals)


def _item(text: str) -> dict:
    return {"client_id": str(uuid.uuid4()), "text": text, "kind": "idea", "language": "en"}


async def _capture(base: str, workshop_id: int, token: str, seconds: float) -> tuple[float, int, dict[str, float]]:
    """Throughput (ten clients as fast as they are answered), then timed items at a steady pace: items/s,
    errors, and when each timed item was sent."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    url = f"{base}/api/v1/workshops/{workshop_id}/input"
    posted = errors = 0
    sent: dict[str, float] = {}
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=POSTERS + 5), timeout=30) as client:
        deadline = time.perf_counter() + seconds

        async def poster(number: int) -> None:
            nonlocal posted, errors
            count = 0
            while time.perf_counter() < deadline:
                count += 1
                answer = await client.post(url, json=_item(f"load {number}-{count}"), headers=headers)
                posted += answer.status_code == 201
                errors += answer.status_code != 201

        began = time.perf_counter()
        await asyncio.gather(*(poster(number) for number in range(POSTERS)))
        items_per_s = posted / (time.perf_counter() - began)
        await asyncio.sleep(2)  # the walls catch up before the delays are measured
        for number in range(max(20, int(seconds * PACED_ITEMS_PER_S))):
            text = f"timed {number} {uuid.uuid4().hex[:6]}"
            sent[text] = time.perf_counter()
            answer = await client.post(url, json=_item(text), headers=headers)
            errors += answer.status_code != 201
            await asyncio.sleep(1 / PACED_ITEMS_PER_S)
    return items_per_s, errors, sent


def measure(base: str, workshop_id: int, token: str, seconds: float) -> WallFigures:
    context = multiprocessing.get_context("spawn")
    ready, stop, results = context.Event(), context.Event(), context.Queue()
    viewers = context.Process(target=watch, args=(f"{base}/workshops/{workshop_id}/wall/stream", ready, stop, results))
    viewers.start()
    try:
        if not ready.wait(90):
            raise RuntimeError("the wall viewers did not connect")
        items_per_s, errors, sent = asyncio.run(_capture(base, workshop_id, token, seconds))
        time.sleep(3)  # the last items reach the walls
        stop.set()
        arrivals = results.get(timeout=60)
    finally:
        stop.set()
        viewers.join(timeout=30)
        if viewers.is_alive():
            viewers.kill()
    delays = sorted((at - sent[text]) * 1000 for text, at in arrivals if text in sent) or [0.0]
    received = sum(1 for text, _at in arrivals if text in sent)
    return WallFigures(
        items_per_s=items_per_s,
        post_errors=errors,
        p50_ms=statistics.median(delays),
        p99_ms=delays[min(len(delays) - 1, int(len(delays) * 0.99))],
        max_ms=delays[-1],
        delays=received,
        missing=len(sent) * VIEWERS - received,
        viewers=VIEWERS,
    )


def wall_figures(base: str, seconds: float) -> list[tuple[str, str, str, bool | None]]:
    """Measure the server at ``base`` (running on the database this process is configured for): the rows for
    the bench's table, as (figure, measured, target, met)."""
    workshop_id, token = asyncio.run(prepare_workshop())
    return measure(base, workshop_id, token, seconds).rows()
