"""``make bench``: the "Fast by design" targets, measured next to this machine's own ceiling.

Real servers (``samrad serve``, production settings) run on a scratch database seeded with the demo plus
thousands of events; wrk loads them over loopback. The same run measures two ceilings: a bare Litestar endpoint
(same uvicorn settings, same client) and a bare conditional-UPDATE + INSERT + outbox-INSERT transaction loop on
the same engine. Each figure is also printed as a share of its ceiling, so a result means the same on another
machine. Prints a table per database; ``--record`` appends it to docs/benchmarks.md. Asserts nothing.

    python -m samrad.bench [--database-url postgresql://...]
                           [--only pages,registrations,rush,wall,exports,scale,workers]
                           [--seconds 6] [--warmup 2] [--record]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from samrad import bench_figures as figures
from samrad.bench_exports import export_figures
from samrad.bench_figures import MAX_RSS_MIB, PAGE_RPS, REGISTRATIONS_PER_S, Row, pct, prepare, seed_events
from samrad.bench_load import CpuWitness, Server
from samrad.bench_outbox import outbox_senders
from samrad.bench_themes import themes_figures
from samrad.bench_wall import wall_figures
from samrad.bench_writes import transaction_ceiling
from samrad.bench_wrk import WRK_HINT, Wrk

ROOT = Path(__file__).resolve().parent.parent


def _wall(bench: Bench, server: Server, info: dict) -> None:  # the live wall (samrad.bench_wall)
    with bench.sampling(server, "the live wall"):
        bench.rows += [Row(*row) for row in wall_figures(server.base, bench.args.seconds)]


def _themes(bench: Bench, server: Server, info: dict) -> None:  # theme suggestions (samrad.bench_themes)
    bench.rows += [Row(*row) for row in themes_figures(bench, server)]


def _exports(bench: Bench, server: Server, info: dict) -> None:  # the input browser's exports (samrad.bench_exports)
    bench.rows += [Row(*row) for row in export_figures(server, bench.sampling)]


# The figures measured on the main server (one process, ``--events`` events), in this order. A module adding
# figures registers its function here, under the name ``--only`` selects it by.
SECTIONS: dict[str, Callable[[Bench, Server, dict], None]] = {
    "pages": figures.pages,
    "registrations": figures.registrations,
    "rush": figures.rush_figures,
    "wall": _wall,
    "exports": _exports,
    "themes": _themes,
}
# With servers of their own: the listing at 500 and 50,000 events, and two workers (PostgreSQL with Redis: two
# server processes, and two outbox senders, ``samrad.bench_outbox``).
GROUPS = (*SECTIONS, "scale", "workers")


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
            "SAMRAD_RATE_LIMIT_CAPTURE_API": "1000000/minute",
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
        self.appendix: list[str] = []  # blocks recorded after the table (the themes' accuracy per language)
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
                    self.main_figures(server, {**info, "listing": listing.get((events, 1))})
            finally:
                server.stop()
                self.peak_rss_mib = max(self.peak_rss_mib, server.peak_process_mib)
            if events == size and "workers" in self.groups and self.pg_name:
                figures.workers(self, info)
                self.rows.append(outbox_senders(self))
        if "workers" in self.groups and not self.pg_name:
            self.notes.append("(two workers with Redis: measured in the PostgreSQL run)")
        if scale:
            figures.scale_rows(self, listing)
        self.rows.append(Row(
            "peak server RSS per process", f"{self.peak_rss_mib:.0f} MiB (VmHWM); highest VmRSS sample "
            f"{self.rss_sample[0]:.0f} MiB, during {self.rss_sample[1]}", f"< {MAX_RSS_MIB} MiB",
            self.peak_rss_mib < MAX_RSS_MIB,
        ))
        others = self.cpu.others_share()
        self.ceilings.append(Row("CPU used by other processes during the run", pct(others)))
        if others > 0.1:
            self.notes.append(f"WARNING other work used {pct(others)} of this machine's CPU during the run: "
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

    def main_figures(self, server: Server, info: dict) -> None:
        for name, section in SECTIONS.items():
            if name in self.groups:
                section(self, server, info)

    # --- output ---------------------------------------------------------------------------------------------

    def missed(self) -> list[str]:
        return [f"MISSED {row.figure}: {row.measured} (target {row.target})" for row in self.rows if row.met is False]

    def ceiling_lines(self) -> list[str]:
        lines = [f"{row.figure}: {row.measured}" for row in self.ceilings]
        if self.bare_rps:
            lines.append(f"page target {PAGE_RPS} req/s = {pct(PAGE_RPS / self.bare_rps)} of the bare endpoint")
        if self.tx_rate:
            lines.append(f"registration target {REGISTRATIONS_PER_S}/s = "
                         f"{pct(REGISTRATIONS_PER_S / self.tx_rate)} of the bare transaction loop")
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
        lines += [line for block in self.appendix for line in ("", block)]
        return "\n".join(lines) + "\n"


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
