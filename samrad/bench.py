"""Speed and memory figures for the hot public paths (``make bench``); prints figures, asserts nothing.

A real server (uvicorn, one process) on a scratch database with the demo plus thousands of extra events is
loaded from a second process over loopback: the listing, an event page, the API listing and API registrations.

    python -m samrad.bench [--events 5000] [--requests 400] [--concurrency 10] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

TARGETS = {  # p95 latency in ms on the project's 2-core machine, one server process
    "listing": 250,
    "listing page 50": 250,
    "event page": 250,
    "api listing": 250,
    "api registration": 400,
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _prepare(extra_events: int) -> str:
    """Migrate, load the demo, add many events; return the slug of a conference with workshops."""
    from events.tables import Event, EventAudience, EventKind
    from samrad.cli import migrate
    from samrad.core import db
    from samrad.demo import load_demo

    await migrate()
    await load_demo(only_if_empty=True)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    kinds = [EventKind.conference, EventKind.training, EventKind.meeting]
    async with db.atomic():
        for batch in range(0, extra_events, 500):
            rows = []
            for index in range(batch, min(batch + 500, extra_events)):
                begins = start + timedelta(hours=index)
                rows.append(
                    Event(
                        slug=f"bench-{index}",
                        kind=kinds[index % 3].value,
                        title={"da": f"Arrangement {index}", "sv": f"Evenemang {index}", "en": f"Event {index}"},
                        starts_at=begins,
                        ends_at=begins + timedelta(hours=2),
                        capacity=1000000,
                        ical_uid=f"{uuid.uuid4()}@bench",
                    )
                )
            await Event.insert(*rows)
        bench_event = (
            await Event.insert(
                Event(
                    slug="bench-registrations",
                    kind=EventKind.conference.value,
                    title={"da": "Belastningstest", "sv": "Belastningstest", "en": "Load test"},
                    starts_at=start + timedelta(days=30),
                    ends_at=start + timedelta(days=30, hours=6),
                    capacity=1000000,
                    ical_uid=f"{uuid.uuid4()}@bench",
                )
            ).returning(Event.id)
        )[0]["id"]
        await EventAudience.insert(EventAudience(event=bench_event, category="citizen"))
    row = await Event.select(Event.slug).where(Event.kind == EventKind.conference.value).first()
    return row["slug"]


async def _load(base: str, name: str, paths, requests: int, concurrency: int, method: str = "GET") -> dict:
    import httpx

    latencies: list[float] = []
    failures = 0
    counter = iter(range(requests))

    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def worker() -> None:
            nonlocal failures
            for index in counter:
                path, body = paths(index)
                began = time.perf_counter()
                response = await client.request(method, path, json=body)
                latencies.append((time.perf_counter() - began) * 1000)
                if response.status_code >= 400:
                    failures += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "name": name,
        "requests": requests,
        "failures": failures,
        "rps": requests / elapsed,
        "p50": statistics.median(latencies),
        "p95": latencies[int(len(latencies) * 0.95) - 1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m samrad.bench")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; a scratch database is made")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="samrad-bench-"))
    env = {
        **os.environ,
        "PICCOLO_CONF": "piccolo_conf",
        "SAMRAD_DATA_DIR": str(scratch),
        "SAMRAD_RATE_LIMIT_REGISTRATIONS": "1000000/minute",
        "SAMRAD_RATE_LIMIT_API": "1000000/minute",
    }
    pg_name = ""
    if args.database_url:
        import asyncpg

        pg_name = f"samrad_bench_{uuid.uuid4().hex[:8]}"

        async def admin(statement: str) -> None:
            connection = await asyncpg.connect(args.database_url)
            await connection.execute(statement)
            await connection.close()

        asyncio.run(admin(f'CREATE DATABASE "{pg_name}"'))
        env["DATABASE_URL"] = urlunsplit(urlsplit(args.database_url)._replace(path=f"/{pg_name}"))
    os.environ.update(env)
    server = None
    try:
        slug = asyncio.run(_prepare(args.events))
        port = _free_port()
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "samrad", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base)
        idle_rss = _rss_mib(server.pid)
        n, c = args.requests, args.concurrency
        results = [
            asyncio.run(_load(base, "listing", lambda i: ("/", None), n, c)),
            asyncio.run(_load(base, "listing page 50", lambda i: ("/?page=50", None), n, c)),
            asyncio.run(_load(base, "event page", lambda i: (f"/events/{slug}", None), n, c)),
            asyncio.run(_load(base, "api listing", lambda i: ("/api/v1/events?per_page=50", None), n, c)),
            asyncio.run(
                _load(
                    base,
                    "api registration",
                    lambda i: (
                        "/api/v1/events/bench-registrations/registrations",
                        {"name": f"Deltager {i}", "email": f"bench{i}@example.org", "category": "citizen",
                         "consent": True},
                    ),
                    n,
                    c,
                    method="POST",
                )
            ),
        ]
        loaded_rss = _rss_mib(server.pid)
    finally:
        if server:
            server.terminate()
            server.wait(timeout=10)
        if pg_name:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        shutil.rmtree(scratch, ignore_errors=True)

    database = "PostgreSQL" if pg_name else "SQLite"
    print(f"Samråd benchmark: {database}, {args.events} extra events, {n} requests per path, concurrency {c}")
    print(f"{'path':<18}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'target':>9}{'errors':>8}  verdict")
    for row in results:
        target = TARGETS[row["name"]]
        verdict = "ok" if row["p95"] <= target and not row["failures"] else "MISSED"
        print(
            f"{row['name']:<18}{row['rps']:>9.0f}{row['p50']:>9.1f}{row['p95']:>9.1f}{target:>9}"
            f"{row['failures']:>8}  {verdict}"
        )
    print(f"server memory (RSS): {idle_rss:.0f} MiB idle, {loaded_rss:.0f} MiB after load (target 250 MiB)")


def _wait_until_up(base: str) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not start")


if __name__ == "__main__":
    main()
