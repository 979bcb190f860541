"""The input browser's exports for ``make bench``: 100,000 input items exported as CSV (both dialects), XLSX and
JSON through ``GET /api/v1/input`` (a bearer token, as a script would), each timed from the request to the last
byte, with the server's memory followed during the download (targets: under 3 s, and under 150 MiB) and the CPU
the server process used for it (on a machine shared with other work the time to the last byte grows, the CPU
seconds much less: they tell a slow export from a busy machine).

    python -m samrad.bench --only exports [--database-url postgresql://...]

The items are added to the bench's scratch database (on top of the demo): spread over the demo's events, about
half tagged with one of the Randers themes and a tenth with two, so the workbook has a sheet per theme. On
PostgreSQL the tables are then analysed, as autovacuum would within the minute: a database that has held its
items a while has statistics, one filled a second ago has none. One small export (an empty view) is fetched
before the timed ones, so the server's first request (it compiles the message catalogs) is not counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ITEMS = 100_000
BATCH = 1000
EXPORT_SECONDS, EXPORT_MIB = 3.0, 150
BENCH_EMAIL = "exports-bench@bench.example"
WORDS = ("lighting", "pay", "school", "care", "path", "safety", "language", "forms", "leaders", "training", "bus",
         "=SUM(A1)", "ligeløn", "tryghed", "jämställdhet", "trygghet")


async def seed_items(count: int = ITEMS) -> str:
    """Add ``count`` published items (with tags) and a staff token; returns the token."""
    from events.tables import Event
    from feedback.tables import InputItem, InputTag, Theme
    from samrad.core import db
    from samrad.core.accounts import create_api_token, create_staff_user

    events = [row["id"] for row in await Event.select(Event.id)]
    themes = [row["id"] for row in await Theme.select(Theme.id)]
    rng = random.Random(7)  # noqa: S311 - repeatable bench data, not a secret
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=365)
    first = (await InputItem.select(InputItem.id).order_by(InputItem.id, ascending=False).first() or {"id": 0})["id"]
    for offset in range(0, count, BATCH):
        rows = [
            InputItem(
                event=rng.choice(events), text=" ".join(rng.choice(WORDS) for _ in range(12)),
                kind=rng.choice(("idea", "concern", "question", "experience", "proposal")),
                source="facilitator", status="published", language="da",
                speaker_category=rng.choice(("", "citizen", "staff", "leader")),
                created_at=start + timedelta(minutes=5 * (offset + n)),
            )
            for n in range(min(BATCH, count - offset))
        ]
        async with db.atomic():
            await InputItem.insert(*rows)
    ids = [row["id"] for row in await InputItem.select(InputItem.id).where(InputItem.id > first)]
    tags = []
    for item_id in ids:
        chosen = rng.sample(themes, 2 if rng.random() < 0.1 else 1) if rng.random() < 0.6 else []
        tags += [InputTag(input_item=item_id, theme=theme_id, tag_key=f"{item_id}:{theme_id}") for theme_id in chosen]
    for offset in range(0, len(tags), BATCH):
        async with db.atomic():
            await InputTag.insert(*tags[offset:offset + BATCH])
    if not db.is_sqlite():
        await db.engine().run_ddl("ANALYZE input_item, input_tag")
    await create_staff_user(BENCH_EMAIL, "Exports bench", "exports bench password 1", "organiser")
    return await create_api_token(BENCH_EMAIL, "exports bench")


def timed_download(url: str, token: str) -> tuple[float, int, int]:
    """(seconds to the last byte, bytes, HTTP status)."""
    import httpx

    started = time.perf_counter()
    size = 0
    with httpx.stream("GET", url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as response:
        for chunk in response.iter_bytes():
            size += len(chunk)
        status = response.status_code
    return time.perf_counter() - started, size, status


def _rss_mib(pids: list[int]) -> float:
    """The largest resident set of the server's processes now."""
    largest = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    largest = max(largest, int(line.split()[1]))
    return largest / 1024


FORMATS = (("CSV", "format=csv"), ("CSV, comma", "format=csv&dialect=comma"), ("XLSX", "format=xlsx"),
           ("JSON", "format=json"))


def export_figures(server: Any, sampling: Callable[[Any, str], Any]) -> list[tuple[str, str, str, bool]]:
    """Seed the items, then one row per format (figure, measured, target, met): the time to the last byte, the
    server's CPU seconds for it, the size, and the server's memory during the download (``sampling`` follows it,
    as the bench's other loads)."""
    token = asyncio.run(seed_items())
    timed_download(f"{server.base}/api/v1/input?format=csv&to=2000-01-01", token)  # the first request: not timed
    rows = []
    for label, query in FORMATS:
        before = _rss_mib(server.pids())
        ticks = server.cpu_ticks()
        with sampling(server, f"the {label} export"):
            seconds, size, status = timed_download(f"{server.base}/api/v1/input?{query}", token)
        cpu = (server.cpu_ticks() - ticks) / os.sysconf("SC_CLK_TCK")
        peak = server.window_kib / 1024
        rows.append((
            f"{label} export of {ITEMS:,} items (GET /api/v1/input?{query})",
            f"{seconds:.2f} s (server CPU {cpu:.2f} s), {size / 1e6:.1f} MB, server {before:.0f} → {peak:.0f} MiB "
            f"(+{peak - before:.0f})" + ("" if status == 200 else f", HTTP {status}"),
            f"< {EXPORT_SECONDS:.0f} s, memory growth < {EXPORT_MIB} MiB",
            status == 200 and seconds < EXPORT_SECONDS and peak - before < EXPORT_MIB,
        ))
    return rows
