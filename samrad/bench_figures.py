"""The figures of ``make bench`` (``samrad.bench`` runs them): the scratch database's events, then each figure
measured against its target and, where it has one, as a share of the machine's ceiling.

The sections measured on the main server (``pages``, ``registrations``, ``rush``) have the signature of
``samrad.bench.SECTIONS``; ``workers`` and ``scale_rows`` need servers of their own and run from ``Bench.run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from samrad.bench_load import Server
from samrad.bench_writes import in_order_share, run_sql, rush
from samrad.bench_wrk import form_credentials

# Each figure takes the running ``samrad.bench.Bench`` (not imported: it imports this module).
Bench = Any

PAGE_RPS, PAGE_P99_MS = 780, 100  # req/s at 50 concurrent, one process, 5,000 events
REGISTRATIONS_PER_S, FORM_SHARE = 310, 0.8  # successful/s at 50 concurrent (SQLite); form within 20 % of API
RUSH, SEATS, RUSH_MAX_S = 1000, 100, 5.0
SCALE_SHARE, MAX_RSS_MIB, WORKER_GAIN = 0.8, 250, 1.6


@dataclass
class Row:
    figure: str
    measured: str
    target: str = ""
    met: bool | None = None
    share: str = ""


def pct(value: float) -> str:
    return f"{value * 100:.0f} %"


def share_of(value: float, ceiling: float) -> str:
    return pct(value / ceiling) if ceiling else ""


def errors_note(result) -> str:
    return f", {result.errors} errors" if result.errors else ""


# --- database preparation (plain SQL: the events package is being reorganised) -------------------------------

async def prepare() -> dict:
    """Migrate, load the demo, add the events registrations are sent to; return the slugs and ids needed."""
    from samrad.cli import migrate
    from samrad.demo import load_demo

    with contextlib.redirect_stdout(io.StringIO()):  # migration progress and the demo's staff passwords
        await migrate()
        await load_demo(only_if_empty=True)
    begins = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=60)
    special = {"bench-api": None, "bench-form": None, "bench-rush": SEATS}
    for slug, capacity in special.items():
        title = json.dumps({"da": "Belastningstest", "sv": "Belastningstest", "en": "Load test"})
        await run_sql(
            "INSERT INTO event (slug, kind, title, starts_at, ends_at, capacity, ical_uid) "
            "VALUES ({}, 'conference', {}, {}, {}, {}, {})",
            slug, title, begins, begins + timedelta(hours=6), capacity, f"{uuid.uuid4()}@bench",
        )
    await run_sql(
        "INSERT INTO event_audience (event, category) SELECT id, 'citizen' FROM event WHERE slug LIKE 'bench-%'"
    )
    await _add_occurrences()
    page = await run_sql("SELECT slug FROM event WHERE kind = 'conference' AND slug NOT LIKE 'bench-%' ORDER BY id")
    rush_id = (await run_sql("SELECT id FROM event WHERE slug = 'bench-rush'"))[0]["id"]
    return {"page": page[0]["slug"], "rush_id": rush_id}


async def _add_occurrences() -> None:
    await run_sql(
        "INSERT INTO occurrence (event, starts_at, ends_at) SELECT e.id, e.starts_at, e.ends_at FROM event e "
        "WHERE e.slug LIKE 'bench-%' AND NOT EXISTS (SELECT 1 FROM occurrence o WHERE o.event = e.id)"
    )


async def seed_events(first: int, stop: int) -> None:
    """Events ``bench-first`` .. ``bench-(stop-1)``, an hour apart, at the demo's venues: one INSERT per 500."""
    from samrad.core import db

    venues = [row["id"] for row in await run_sql("SELECT id FROM venue ORDER BY id")] or [None]
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    kinds = ("conference", "training", "meeting")
    db_engine = db.engine()
    async with db_engine.transaction():
        for batch in range(first, stop, 500):
            values, args = [], []
            for index in range(batch, min(batch + 500, stop)):
                begins = start + timedelta(hours=index)
                values.append("({}, {}, {}, {}, {}, {}, {}, {}, {})")
                args += [
                    f"bench-{index}", kinds[index % 3],
                    json.dumps({"da": f"Arrangement {index}", "sv": f"Evenemang {index}", "en": f"Event {index}"}),
                    json.dumps({"da": "Et arrangement til belastningstesten.", "en": "An event for the load test."}),
                    begins, begins + timedelta(hours=2), venues[index % len(venues)], 1000, f"{uuid.uuid4()}@bench",
                ]
            await run_sql(
                "INSERT INTO event (slug, kind, title, summary, starts_at, ends_at, venue, capacity, ical_uid) "
                "VALUES " + ", ".join(values), *args,
            )
        await _add_occurrences()


# --- the figures --------------------------------------------------------------------------------------------

def page_row(bench: Bench, name: str, result) -> Row:
    met = result.rps >= PAGE_RPS and result.p99_ms < PAGE_P99_MS and not result.errors
    return Row(name, f"{result.rps:.0f} req/s, {result.latency(50)}, {result.latency(99)}{errors_note(result)}",
               f"≥ {PAGE_RPS} req/s, p99 < {PAGE_P99_MS} ms", met, share_of(result.rps, bench.bare_rps))


def pages(bench: Bench, server: Server, info: dict) -> None:
    """The event page and listing page 1 (measured by ``Bench.run`` before the other sections)."""
    count = f"{bench.args.events:,} events"
    event = bench.measure(server, f"/events/{info['page']}")
    bench.rows.append(page_row(bench, f"event page, {count}", event))
    bench.rows.append(page_row(bench, f"listing page 1, {count}", info["listing"]))


def registrations(bench: Bench, server: Server, info: dict) -> None:
    run = uuid.uuid4().hex[:6]
    api = bench.measure(server, "/api/v1/events/bench-api/registrations", f"api{run}")
    csrf, cookie = form_credentials(server.base, "bench-form")
    api_warm = bench.warmed
    form = bench.measure(server, "/events/bench-form/register", f"form{run}", "form", csrf, cookie)
    for slug, warm, result in (("bench-api", api_warm, api), ("bench-form", bench.warmed, form)):
        answered = result.requests - result.errors + (warm.requests - warm.errors if warm else 0)
        rows = asyncio.run(run_sql(
            "SELECT COUNT(*) AS n FROM registration r JOIN event e ON e.id = r.event WHERE e.slug = {}", slug
        ))[0]["n"]
        if rows < answered:  # a 2xx/3xx answer without a registration behind it
            bench.notes.append(f"CHECK {slug}: {answered} successful answers but only {rows} registrations")
    sqlite = not bench.pg_name
    for name, result in (("registration, JSON API", api), ("registration, HTML form (CSRF)", form)):
        bench.rows.append(Row(
            f"{name}, 50 concurrent",
            f"{result.ok_per_second:.0f} ok/s, {result.errors} errors, {result.latency(99)}",
            f"≥ {REGISTRATIONS_PER_S}/s, 0 errors" + ("" if sqlite else " (SQLite target)"),
            (result.ok_per_second >= REGISTRATIONS_PER_S and not result.errors) if sqlite else None,
            share_of(result.ok_per_second, bench.tx_rate),
        ))
    ratio = form.ok_per_second / api.ok_per_second if api.ok_per_second else 0.0
    bench.rows.append(Row("form registrations as share of API", pct(ratio), f"≥ {pct(FORM_SHARE)}",
                         ratio >= FORM_SHARE))


def rush_figures(bench: Bench, server: Server, info: dict) -> None:
    path = "/api/v1/events/bench-rush/registrations"
    with bench.sampling(server, f"{RUSH:,} registrations at once"):
        answers = asyncio.run(rush(server.port, path, RUSH, f"rush{uuid.uuid4().hex[:6]}"))
    bench.settle(server)
    rows = asyncio.run(run_sql("SELECT id, status FROM registration WHERE event = {} ORDER BY id", info["rush_id"]))
    confirmed = [row["id"] for row in rows if row["status"] == "confirmed"]
    waitlisted = [row["id"] for row in rows if row["status"] == "waitlisted"]
    failed = sum(1 for answer in answers if answer.status != 201)
    slowest = max(answer.seconds for answer in answers)
    met = len(confirmed) == SEATS and len(waitlisted) == RUSH - SEATS and not failed and slowest < RUSH_MAX_S
    bench.rows.append(Row(
        f"{RUSH:,} registrations at once on {SEATS} seats",
        f"{len(confirmed)} confirmed, {len(waitlisted)} waitlisted, {failed} errors, max {slowest:.2f} s",
        f"{SEATS} / {RUSH - SEATS}, 0 errors, max < {RUSH_MAX_S:.0f} s", met,
    ))
    by_answer = sorted((a for a in answers if a.body.get("status") == "waitlisted"), key=lambda a: a.finished)
    positions = [a.body.get("waitlist_position") or 0 for a in by_answer]
    distinct = sorted(positions) == list(range(1, len(waitlisted) + 1)) and len(positions) == len(waitlisted)
    seats_first = not confirmed or not waitlisted or max(confirmed) < min(waitlisted)
    bench.rows.append(Row(
        "waitlist in arrival order",
        f"{len(set(positions))} distinct positions in {len(positions)} answers (1..{len(waitlisted)}: "
        f"{'yes' if distinct else 'no'}); seats before waitlist: {'yes' if seats_first else 'no'}; "
        f"answer order agrees: {pct(in_order_share(positions))}",
        "distinct positions, seats before waitlist", distinct and seats_first,
    ))


def best_of_two(bench: Bench, server: Server, path: str):
    return max((bench.measure(server, path) for _ in range(2)), key=lambda result: result.rps)


def workers(bench: Bench, info: dict) -> None:
    """Event page with 2 workers vs 1 process, both on PostgreSQL with Redis, next to the bare app's own gain
    from a second worker (the ceiling: wrk, PostgreSQL and both workers share this machine's cores). Each is
    the best of two loads, as the ceilings are: one 6-second load of one process varies by a fifth."""
    url = f"/events/{info['page']}"
    redis = {"SAMRAD_REDIS_URL": bench.args.redis_url}
    try:
        import redis as redis_client

        redis_client.Redis.from_url(bench.args.redis_url, socket_timeout=2).ping()
    except Exception as error:
        bench.notes.append(f"not measured: two workers with Redis ({bench.args.redis_url}: {error})")
        return
    bare = bench.bare_server(2)
    try:
        ceiling = best_of_two(bench, bare, "/")
    finally:
        bare.stop()
    bare_gain = ceiling.rps / bench.bare_rps if bench.bare_rps else 0.0
    bench.ceilings.append(Row("bare Litestar endpoint, 2 workers", f"{ceiling.rps:.0f} req/s = "
                             f"{bare_gain:.2f}× one process, {ceiling.latency(50)}"))
    results = {}
    for count in (1, 2):
        bench.phase = f"{bench.args.events:,} events, {count} worker(s) + Redis"
        server = bench.server(count, **redis)
        try:
            results[count] = best_of_two(bench, server, url)
        finally:
            server.stop()
        bench.peak_rss_mib = max(bench.peak_rss_mib, server.peak_process_mib)
        total = server.peak_total_mib
    gain = results[2].rps / results[1].rps if results[1].rps else 0.0
    bench.rows.append(Row(
        "event page, `serve --workers 2` + Redis",
        f"{results[2].rps:.0f} req/s = {gain:.2f}× one process ({results[1].rps:.0f} req/s), "
        f"RSS {total:.0f} MiB for both workers",
        f"≥ {WORKER_GAIN}× one process", gain >= WORKER_GAIN,
        f"{share_of(gain, bare_gain)} of the bare endpoint's gain" if bare_gain else "",
    ))


def scale_rows(bench: Bench, listing: dict) -> None:
    base = listing[500, 1]
    bench.rows.append(Row("listing page 1, 500 events", f"{base.rps:.0f} req/s, {base.latency(99)}",
                         "(reference for the two below)", None, share_of(base.rps, bench.bare_rps)))
    for page in (1, 500):
        result = listing[50000, page]
        ratio = result.rps / base.rps if base.rps else 0.0
        bench.rows.append(Row(
            f"listing page {page}, 50,000 events",
            f"{result.rps:.0f} req/s = {pct(ratio)} of 500 events, {result.latency(99)}{errors_note(result)}",
            f"≥ {pct(SCALE_SHARE)} of 500 events", ratio >= SCALE_SHARE and not result.errors,
            share_of(result.rps, bench.bare_rps),
        ))
