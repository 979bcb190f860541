"""``make bench``: the "Fast by design" targets, measured next to this machine's own ceiling.

Real servers (``samrad serve``, production settings) run on a scratch database seeded with the demo plus
thousands of events; wrk loads them over loopback. The same run measures two ceilings: a bare Litestar endpoint
(same uvicorn settings, same client) and a bare conditional-UPDATE + INSERT + outbox-INSERT transaction loop on
the same engine. Each figure is also printed as a share of its ceiling, so a result means the same on another
machine. Prints a table per database; ``--record`` appends it to docs/benchmarks.md. Asserts nothing.

    python -m samrad.bench [--database-url postgresql://...] [--only pages,registrations,rush,scale,workers]
                           [--seconds 6] [--warmup 2] [--record]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from samrad.bench_load import (
    WRK_HINT,
    CpuWitness,
    Server,
    Wrk,
    form_credentials,
    in_order_share,
    run_sql,
    rush,
    transaction_ceiling,
)

ROOT = Path(__file__).resolve().parent.parent
GROUPS = ("pages", "registrations", "rush", "scale", "workers")
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


def _pct(value: float) -> str:
    return f"{value * 100:.0f} %"


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


# --- the run --------------------------------------------------------------------------------------------------

class Bench:
    """One database: scratch data folder (and PostgreSQL database), servers, figures, the printed table."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.groups = set(args.only.split(",")) if args.only else set(GROUPS)
        if unknown := self.groups - set(GROUPS):
            raise SystemExit(f"unknown --only group(s): {', '.join(sorted(unknown))}; choose from {GROUPS}")
        self.scratch = Path(tempfile.mkdtemp(prefix="samrad-bench-"))
        self.database = "PostgreSQL" if args.database_url else "SQLite"
        self.env = {
            **os.environ,
            "PICCOLO_CONF": "piccolo_conf",
            "SAMRAD_DATA_DIR": str(self.scratch),
            "SAMRAD_SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
            "SAMRAD_MAIL_BACKEND": "file",
            "SAMRAD_MAIL_DIR": str(self.scratch / "outbox"),
            "SAMRAD_RATE_LIMIT_REGISTRATIONS": "1000000/minute",
            "SAMRAD_RATE_LIMIT_API": "1000000/minute",
            "SAMRAD_REDIS_URL": "",
        }
        self.pg_name = f"samrad_bench_{uuid.uuid4().hex[:8]}" if args.database_url else ""
        if self.pg_name:
            asyncio.run(self._admin(f'CREATE DATABASE "{self.pg_name}"'))
            self.env["DATABASE_URL"] = urlunsplit(urlsplit(args.database_url)._replace(path=f"/{self.pg_name}"))
        os.environ.update(self.env)
        self.wrk = Wrk(args.connections, args.threads)
        self.warmed = None
        self.rows: list[Row] = []
        self.ceilings: list[Row] = []
        self.notes: list[str] = []
        self.bare_rps = self.tx_rate = 0.0
        self.peak_rss_mib = 0.0
        self.rss_sample, self.phase = (0.0, ""), ""
        self.cpu = CpuWitness()

    async def _admin(self, statement: str) -> None:
        import asyncpg

        connection = await asyncpg.connect(self.args.database_url)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    def cleanup(self) -> None:
        if self.pg_name:
            asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))
        shutil.rmtree(self.scratch, ignore_errors=True)
        shutil.rmtree(self.wrk.script.parent, ignore_errors=True)

    def server(self, workers: int = 1, **env: str) -> Server:
        argv = [sys.executable, "-m", "samrad", "serve", "--host", "127.0.0.1", "--port", "{port}",
                "--workers", str(workers)]
        return Server(argv, {**self.env, **env}, self.scratch / "server.log", workers=workers)

    def bare_server(self, workers: int = 1) -> Server:
        server = Server([sys.executable, "-m", "samrad.bench_load", "{port}", str(workers)], self.env,
                        self.scratch / "bare.log", ready_path="/", workers=workers)
        server.is_app = False
        return server

    def measure(self, server: Server, path: str, *post: str):
        """One wrk figure (a GET, or with ``post`` arguments a POST) after a warm-up, sampling the server's memory.

        The warm-up's result stays in ``self.warmed``: its registrations are in the database too."""

        def wrk(seconds: float, prefix: str = ""):
            if post:
                return self.wrk.post(server.base + path, seconds, post[0] + prefix, *post[1:])
            return self.wrk.get(server.base + path, seconds)

        warm = wrk(self.args.warmup, "w") if self.args.warmup else None
        self.settle(server)
        with self.sampling(server, f"{'POST' if post else 'GET'} {path}"):
            result = wrk(self.args.seconds)
        self.settle(server)
        self.warmed = warm
        return result

    @contextlib.contextmanager
    def sampling(self, server: Server, label: str):
        """Follow the server's memory during a load; remember which load had the highest single process."""
        server.window_kib = 0
        stop = server.sample()
        try:
            yield
        finally:
            stop.set()
            server.sample_once()
            if server.is_app and server.window_kib / 1024 > self.rss_sample[0]:
                self.rss_sample = (server.window_kib / 1024, f"{label}, {self.phase}")

    def settle(self, server: Server) -> None:
        note = "NOTE the server was still busy 3 minutes after a load; later figures are slowed by it"
        if not server.wait_idle() and note not in self.notes:
            self.notes.append(note)

    def run(self) -> None:
        info = asyncio.run(prepare())
        size, scale = self.args.events, "scale" in self.groups
        if self.groups & {"pages", "scale", "workers"}:
            self.ceiling_endpoint()
        if "registrations" in self.groups:
            rates = [asyncio.run(transaction_ceiling(self.args.seconds, self.args.connections)) for _ in range(2)]
            self.tx_rate = max(rates)
            self.ceilings.append(Row("bare transaction loop (UPDATE + INSERT + outbox INSERT), 50 tasks",
                                     f"{self.tx_rate:.0f} tx/s (best of {' and '.join(f'{r:.0f}' for r in rates)})"))
        seeded, listing = 0, {}
        for events in sorted({size, *((500, 50000) if scale else ())}):
            asyncio.run(seed_events(seeded, events))
            seeded, self.phase = events, f"{events:,} events"
            server = self.server()
            try:
                if (scale and events in (500, 50000)) or (events == size and "pages" in self.groups):
                    listing[events, 1] = self.measure(server, "/")
                if scale and events == 50000:
                    listing[events, 500] = self.measure(server, "/?page=500")
                if events == size:
                    self.main_figures(server, info, listing.get((events, 1)))
            finally:
                server.stop()
                self.peak_rss_mib = max(self.peak_rss_mib, server.peak_process_mib)
            if events == size and "workers" in self.groups and self.pg_name:
                self.workers(info)
        if "workers" in self.groups and not self.pg_name:
            self.notes.append("(two workers with Redis: measured in the PostgreSQL run)")
        if scale:
            self.scale_rows(listing)
        self.rows.append(Row(
            "peak server RSS per process", f"{self.peak_rss_mib:.0f} MiB (VmHWM); highest VmRSS sample "
            f"{self.rss_sample[0]:.0f} MiB, during {self.rss_sample[1]}", f"< {MAX_RSS_MIB} MiB",
            self.peak_rss_mib < MAX_RSS_MIB,
        ))
        others = self.cpu.others_share()
        self.ceilings.append(Row("CPU used by other processes during the run", _pct(others)))
        if others > 0.1:
            self.notes.append(f"WARNING other work used {_pct(others)} of this machine's CPU during the run: "
                              "every figure, the ceilings included, is lower than on a quiet machine")

    def ceiling_endpoint(self) -> None:
        """Best of two: a ceiling is what the machine can give, and a passing disturbance only lowers it."""
        bare = self.bare_server()
        try:
            results = [self.measure(bare, "/") for _ in range(2)]
        finally:
            bare.stop()
        result = max(results, key=lambda item: item.rps)
        self.bare_rps = result.rps
        self.ceilings.append(Row("bare Litestar endpoint, 1 process", f"{result.rps:.0f} req/s (best of "
                                 f"{' and '.join(f'{item.rps:.0f}' for item in results)}), {result.latency(99)}, "
                                 f"{bare.peak_process_mib:.0f} MiB"))

    def page_row(self, name: str, result) -> Row:
        met = result.rps >= PAGE_RPS and result.p99_ms < PAGE_P99_MS and not result.errors
        return Row(name, f"{result.rps:.0f} req/s, {result.latency(50)}, {result.latency(99)}{_errors(result)}",
                   f"≥ {PAGE_RPS} req/s, p99 < {PAGE_P99_MS} ms", met, self.share(result.rps, self.bare_rps))

    def share(self, value: float, ceiling: float) -> str:
        return _pct(value / ceiling) if ceiling else ""

    def main_figures(self, server: Server, info: dict, listing) -> None:
        count = f"{self.args.events:,} events"
        if "pages" in self.groups:
            event = self.measure(server, f"/events/{info['page']}")
            self.rows.append(self.page_row(f"event page, {count}", event))
            self.rows.append(self.page_row(f"listing page 1, {count}", listing))
        if "registrations" in self.groups:
            self.registrations(server)
        if "rush" in self.groups:
            self.rush(server, info["rush_id"])

    def registrations(self, server: Server) -> None:
        run = uuid.uuid4().hex[:6]
        api = self.measure(server, "/api/v1/events/bench-api/registrations", f"api{run}")
        csrf, cookie = form_credentials(server.base, "bench-form")
        api_warm = self.warmed
        form = self.measure(server, "/events/bench-form/register", f"form{run}", "form", csrf, cookie)
        for slug, warm, result in (("bench-api", api_warm, api), ("bench-form", self.warmed, form)):
            answered = result.requests - result.errors + (warm.requests - warm.errors if warm else 0)
            rows = asyncio.run(run_sql(
                "SELECT COUNT(*) AS n FROM registration r JOIN event e ON e.id = r.event WHERE e.slug = {}", slug
            ))[0]["n"]
            if rows < answered:  # a 2xx/3xx answer without a registration behind it
                self.notes.append(f"CHECK {slug}: {answered} successful answers but only {rows} registrations")
        sqlite = not self.pg_name
        for name, result in (("registration, JSON API", api), ("registration, HTML form (CSRF)", form)):
            self.rows.append(Row(
                f"{name}, 50 concurrent",
                f"{result.ok_per_second:.0f} ok/s, {result.errors} errors, {result.latency(99)}",
                f"≥ {REGISTRATIONS_PER_S}/s, 0 errors" + ("" if sqlite else " (SQLite target)"),
                (result.ok_per_second >= REGISTRATIONS_PER_S and not result.errors) if sqlite else None,
                self.share(result.ok_per_second, self.tx_rate),
            ))
        ratio = form.ok_per_second / api.ok_per_second if api.ok_per_second else 0.0
        self.rows.append(Row("form registrations as share of API", _pct(ratio), f"≥ {_pct(FORM_SHARE)}",
                             ratio >= FORM_SHARE))

    def rush(self, server: Server, event_id: int) -> None:
        path = "/api/v1/events/bench-rush/registrations"
        with self.sampling(server, f"{RUSH:,} registrations at once"):
            answers = asyncio.run(rush(server.port, path, RUSH, f"rush{uuid.uuid4().hex[:6]}"))
        self.settle(server)
        rows = asyncio.run(run_sql("SELECT id, status FROM registration WHERE event = {} ORDER BY id", event_id))
        confirmed = [row["id"] for row in rows if row["status"] == "confirmed"]
        waitlisted = [row["id"] for row in rows if row["status"] == "waitlisted"]
        failed = sum(1 for answer in answers if answer.status != 201)
        slowest = max(answer.seconds for answer in answers)
        met = len(confirmed) == SEATS and len(waitlisted) == RUSH - SEATS and not failed and slowest < RUSH_MAX_S
        self.rows.append(Row(
            f"{RUSH:,} registrations at once on {SEATS} seats",
            f"{len(confirmed)} confirmed, {len(waitlisted)} waitlisted, {failed} errors, max {slowest:.2f} s",
            f"{SEATS} / {RUSH - SEATS}, 0 errors, max < {RUSH_MAX_S:.0f} s", met,
        ))
        by_answer = sorted((a for a in answers if a.body.get("status") == "waitlisted"), key=lambda a: a.finished)
        positions = [a.body.get("waitlist_position") or 0 for a in by_answer]
        distinct = sorted(positions) == list(range(1, len(waitlisted) + 1)) and len(positions) == len(waitlisted)
        seats_first = not confirmed or not waitlisted or max(confirmed) < min(waitlisted)
        self.rows.append(Row(
            "waitlist in arrival order",
            f"{len(set(positions))} distinct positions in {len(positions)} answers (1..{len(waitlisted)}: "
            f"{'yes' if distinct else 'no'}); seats before waitlist: {'yes' if seats_first else 'no'}; "
            f"answer order agrees: {_pct(in_order_share(positions))}",
            "distinct positions, seats before waitlist", distinct and seats_first,
        ))

    def workers(self, info: dict) -> None:
        """Event page with 2 workers vs 1 process, both on PostgreSQL with Redis, plus the bare app with 2."""
        url = f"/events/{info['page']}"
        redis = {"SAMRAD_REDIS_URL": self.args.redis_url}
        try:
            import redis as redis_client

            redis_client.Redis.from_url(self.args.redis_url, socket_timeout=2).ping()
        except Exception as error:
            self.notes.append(f"not measured: two workers with Redis ({self.args.redis_url}: {error})")
            return
        results = {}
        for count in (1, 2):
            self.phase = f"{self.args.events:,} events, {count} worker(s) + Redis"
            server = self.server(count, **redis)
            try:
                results[count] = self.measure(server, url)
            finally:
                server.stop()
            self.peak_rss_mib = max(self.peak_rss_mib, server.peak_process_mib)
            total = server.peak_total_mib
        gain = results[2].rps / results[1].rps if results[1].rps else 0.0
        self.rows.append(Row(
            "event page, `serve --workers 2` + Redis",
            f"{results[2].rps:.0f} req/s = {gain:.2f}× one process ({results[1].rps:.0f} req/s), "
            f"RSS {total:.0f} MiB for both workers",
            f"≥ {WORKER_GAIN}× one process", gain >= WORKER_GAIN,
        ))
        bare = self.bare_server(2)
        try:
            result = self.measure(bare, "/")
        finally:
            bare.stop()
        self.ceilings.append(Row("bare Litestar endpoint, 2 workers", f"{result.rps:.0f} req/s = "
                                 f"{result.rps / self.bare_rps:.2f}× one process, {result.latency(50)}"))

    def scale_rows(self, listing: dict) -> None:
        base = listing[500, 1]
        self.rows.append(Row("listing page 1, 500 events", f"{base.rps:.0f} req/s, {base.latency(99)}",
                             "(reference for the two below)", None, self.share(base.rps, self.bare_rps)))
        for page in (1, 500):
            result = listing[50000, page]
            ratio = result.rps / base.rps if base.rps else 0.0
            self.rows.append(Row(
                f"listing page {page}, 50,000 events",
                f"{result.rps:.0f} req/s = {_pct(ratio)} of 500 events, {result.latency(99)}{_errors(result)}",
                f"≥ {_pct(SCALE_SHARE)} of 500 events", ratio >= SCALE_SHARE and not result.errors,
                self.share(result.rps, self.bare_rps),
            ))

    # --- output ---------------------------------------------------------------------------------------------

    def missed(self) -> list[str]:
        return [f"MISSED {row.figure}: {row.measured} (target {row.target})" for row in self.rows if row.met is False]

    def ceiling_lines(self) -> list[str]:
        lines = [f"{row.figure}: {row.measured}" for row in self.ceilings]
        if self.bare_rps:
            lines.append(f"page target {PAGE_RPS} req/s = {_pct(PAGE_RPS / self.bare_rps)} of the bare endpoint")
        if self.tx_rate:
            lines.append(f"registration target {REGISTRATIONS_PER_S}/s = "
                         f"{_pct(REGISTRATIONS_PER_S / self.tx_rate)} of the bare transaction loop")
        return lines

    def title(self) -> str:
        return (f"{self.database}: demo + {self.args.events:,} events, wrk -c {self.args.connections} "
                f"-t {self.args.threads} -d {self.args.seconds:g}s (after {self.args.warmup:g}s warm-up)")

    def print_table(self) -> None:
        cells = [["figure", "measured", "target", "met?", "share of ceiling"]]
        cells += [[r.figure, r.measured, r.target, _met(r), r.share] for r in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(5)]
        print("\n" + self.title())
        for row in cells:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        print("ceilings of this machine:")
        for line in self.ceiling_lines():
            print(f"  {line}")
        for line in self.notes + self.missed():
            print(line)

    def markdown(self) -> str:
        lines = [f"### {self.title()}", "", *_machine(), "",
                 "| figure | measured | target | met? | share of ceiling |", "|---|---|---|---|---|"]
        lines += [f"| {r.figure} | {r.measured} | {r.target} | {_met(r)} | {r.share} |" for r in self.rows]
        lines += ["", "Ceilings:", "", *(f"- {line}" for line in self.ceiling_lines())]
        missed = self.missed()
        lines += ["", *(f"- {line}" for line in missed)] if missed else []
        return "\n".join(lines) + "\n"


def _errors(result) -> str:
    return f", {result.errors} errors" if result.errors else ""


def _met(row: Row) -> str:
    return {True: "yes", False: "NO", None: "–"}[row.met]


def _machine() -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown CPU")
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))

    dirty = " (with uncommitted changes)" if _git("status", "--porcelain", "--untracked-files=no") else ""
    date = datetime.now(UTC).strftime("%a %d %b %Y %H:%M:%S UTC")
    return [f"- date: {date}", f"- machine: {os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable), {cpu}, "
            f"{memory / 1024 / 1024:.1f} GiB memory", f"- commit: {_git('rev-parse', '--short', 'HEAD')}{dirty}"]


def _git(*argv: str) -> str:
    done = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603, S607
    return done.stdout.strip()


def record(bench: Bench) -> None:
    """Append the run; the two databases of one ``make bench`` share a heading (day and commit)."""
    path = ROOT / "docs" / "benchmarks.md"
    path.parent.mkdir(exist_ok=True)
    if not path.exists():
        path.write_text("# Benchmarks\n\nRuns of `make bench` (`python -m samrad.bench --record`), newest last. "
                        "See `samrad/bench.py` for what each figure means.\n")
    heading = f"## Run of {datetime.now(UTC):%Y-%m-%d}, commit {_git('rev-parse', '--short', 'HEAD')}"
    with path.open("a") as file:
        file.write(("" if heading in path.read_text() else f"\n{heading}\n") + "\n" + bench.markdown())
    print(f"recorded in {path.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m samrad.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; a scratch database is made")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {','.join(GROUPS)}")
    parser.add_argument("--events", type=int, default=5000, help="events for the page and registration figures")
    parser.add_argument("--seconds", type=float, default=6, help="wrk duration per figure")
    parser.add_argument("--warmup", type=float, default=2, help="wrk warm-up before each figure")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="for the two-worker figure")
    parser.add_argument("--record", action="store_true", help="append the table to docs/benchmarks.md")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit(WRK_HINT)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # 1,000 sockets at once, client and server
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    began = time.monotonic()
    bench = Bench(args)
    try:
        bench.run()
    finally:
        bench.cleanup()
    bench.notes.append(f"({time.monotonic() - began:.0f} s)")
    bench.print_table()
    if args.record:
        record(bench)


if __name__ == "__main__":
    main()
