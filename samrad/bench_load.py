"""Load and ceilings for ``make bench``: servers under test, wrk, the 1,000-at-once client, memory sampling.

A Python client cannot load a server past a few hundred requests per second while sharing two cores with it,
so steady load comes from ``wrk`` (C, with a Lua script for POSTs). The two ceilings live here too: the bare
Litestar app (same uvicorn settings, same client, no application work) and the bare registration transaction.

    python -m samrad.bench_load PORT [WORKERS]     serve the bare app (started by samrad.bench)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

WRK_HINT = "wrk is not installed: run `make bench-deps` (or `apt-get install -y wrk`)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the bare ceiling app -------------------------------------------------------------------------------------

def create_bare_app():
    """The smallest Litestar app answering a small HTML page: what the machine gives before any Samråd code."""
    from litestar import Litestar, MediaType, get

    @get("/", media_type=MediaType.HTML)
    async def index() -> str:
        return "<!doctype html><html lang=en><title>bare</title><p>Hello from a bare Litestar endpoint.</p></html>"

    return Litestar(route_handlers=[index])


def serve_bare(port: int, workers: int = 1) -> None:
    """The same server as ``samrad serve`` (``samrad.cli.run_server``), with the bare app."""
    from samrad.cli import run_server

    run_server("samrad.bench_load:create_bare_app", host="127.0.0.1", port=port, workers=workers)


# --- servers and their memory -------------------------------------------------------------------------------

def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def worker_pids(master: int) -> list[int]:
    """The uvicorn worker processes (children running multiprocessing's spawn_main), or the master alone."""
    children = []
    for task in Path(f"/proc/{master}/task").glob("*/children"):
        children += [int(pid) for pid in task.read_text().split()]
    workers = []
    for pid in children:
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                workers.append(pid)
        except OSError:
            continue
    return workers or [master]


class Server:
    """A server process on a free port; ``sample()`` follows the RSS of its serving processes during load."""

    def __init__(
        self, argv: list[str], env: dict[str, str], log: Path, ready_path: str = "/readyz", workers: int = 1
    ) -> None:
        """``argv`` may hold ``{port}``, replaced by a free port."""
        self.port = free_port()
        self.log, self.workers = log, workers
        self._log_file = log.open("ab")
        self._log_start = self._log_file.tell()
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [arg.replace("{port}", str(self.port)) for arg in argv],
            env=env, stdout=self._log_file, stderr=subprocess.STDOUT,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        self.peak_rss_kib: dict[int, int] = {}  # pid -> highest VmRSS seen
        self.peak_total_kib = 0
        self.window_kib = 0  # highest single-process VmRSS since the caller last reset it
        self.is_app = True  # False for the bare ceiling app: its memory is not the app's
        self._wait(ready_path)

    def _wait(self, path: str) -> None:
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                # Every worker must be up: the first answers while the others still import the app.
                if httpx.get(self.base + path, timeout=2).status_code == 200 and self._started() >= self.workers:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        tail = self.log.read_text(errors="replace")[-3000:]
        raise SystemExit(f"server did not start; its log ends with:\n{tail}")

    def _started(self) -> int:
        with self.log.open("rb") as log:
            log.seek(self._log_start)
            return log.read().count(b"Application startup complete")

    def pids(self) -> list[int]:
        return worker_pids(self.process.pid)

    def sample_once(self) -> None:
        total = 0
        for pid in self.pids():
            rss = _status_kib(pid, "VmRSS")
            total += rss
            self.window_kib = max(self.window_kib, rss)
            self.peak_rss_kib[pid] = max(self.peak_rss_kib.get(pid, 0), rss, _status_kib(pid, "VmHWM"))
        self.peak_total_kib = max(self.peak_total_kib, total)

    def sample(self, interval: float = 0.25) -> threading.Event:
        """Sample in a thread until the returned event is set."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(interval):
                self.sample_once()

        threading.Thread(target=loop, daemon=True).start()
        return stop

    def cpu_ticks(self) -> int:
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime
        return total

    def wait_idle(self, limit: float = 180) -> bool:
        """Wait until the server has finished the requests a finished load left behind (uvicorn does not cancel
        them when the client goes), so they do not slow the next figure: under 10 % of a core for 0.4 s."""
        deadline = time.monotonic() + limit
        last, quiet = self.cpu_ticks(), 0
        while time.monotonic() < deadline:
            time.sleep(0.2)
            now = self.cpu_ticks()
            quiet = quiet + 1 if now - last <= 2 else 0
            last = now
            if quiet >= 2:
                return True
        return False

    @property
    def peak_process_mib(self) -> float:
        return max(self.peak_rss_kib.values(), default=0) / 1024

    @property
    def peak_total_mib(self) -> float:
        return self.peak_total_kib / 1024

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()


class CpuWitness:
    """How much CPU the rest of the machine used during the run: other work there lowers every figure.

    The machine's busy time (/proc/stat) minus this process and its children (servers, wrk) and minus the
    PostgreSQL and Redis servers the bench talks to."""

    SERVING = ("postgres", "redis-server")

    def __init__(self) -> None:
        self.start = self._read()

    def _serving_seconds(self) -> float:
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            if text[text.index("(") + 1:text.rindex(")")] in self.SERVING:
                fields = text.rsplit(")", 1)[1].split()
                ticks += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
        return ticks / os.sysconf("SC_CLK_TCK")

    def _read(self) -> tuple[float, float, float, float]:
        values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        busy = sum(values[:3]) + sum(values[5:8])  # user nice system (idle iowait) irq softirq steal
        own = os.times()
        mine = own.user + own.system + own.children_user + own.children_system
        return time.monotonic(), busy / os.sysconf("SC_CLK_TCK"), mine, self._serving_seconds()

    def others_share(self) -> float:
        (began, busy0, mine0, serving0), (ended, busy1, mine1, serving1) = self.start, self._read()
        others = (busy1 - busy0) - (mine1 - mine0) - (serving1 - serving0)
        return max(0.0, others) / ((ended - began) * (os.cpu_count() or 1))


# --- wrk ------------------------------------------------------------------------------------------------------

# Unique emails from a per-thread counter; statuses outside 2xx/3xx counted by thread and summed in done().
POST_SCRIPT = r"""
local threads = {}
errors = 0
counter = 0
tid = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  prefix, mode, csrf, cookie = args[1], args[2], args[3], args[4]
end

function request()
  counter = counter + 1
  local email = string.format("%s-%d-%d@example.org", prefix, tid, counter)
  local name = string.format("Deltager %d %d", tid, counter)
  if mode == "form" then
    local body = "_csrf_token=" .. csrf .. "&name=" .. name:gsub(" ", "+") .. "&email=" .. email:gsub("@", "%%40")
      .. "&category=citizen&consent=1"
    return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded",
                                    ["Cookie"] = cookie}, body)
  end
  local body = string.format('{"name":"%s","email":"%s","category":"citizen","consent":true}', name, email)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status < 200 or status >= 400 then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("errors")
  end
  io.write(string.format("bench-errors: %d\n", total))
end
"""

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


@dataclass
class WrkResult:
    rps: float = 0.0
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    errors: int = 0  # non-2xx/3xx answers plus socket errors
    output: str = field(default="", repr=False)

    def latency(self, percent: int) -> str:
        """``p99 12.3 ms``; n/a when no request was answered within the run."""
        value = getattr(self, f"p{percent}_ms")
        return f"p{percent} " + (f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms") if self.requests else "n/a"

    @property
    def ok_per_second(self) -> float:
        return max(0, self.requests - self.errors) / self.seconds if self.seconds else 0.0


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", text).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> WrkResult:
    result = WrkResult(output=output)
    if match := re.search(r"Requests/sec:\s+([\d.]+)", output):
        result.rps = float(match.group(1))
    if match := re.search(r"(\d+) requests in ([\d.]+)(\w+),", output):
        result.requests = int(match.group(1))
        result.seconds = _ms(match.group(2) + match.group(3)) / 1000
    for percent, name in (("50", "p50_ms"), ("99", "p99_ms")):
        if match := re.search(rf"^\s+{percent}%\s+([\d.]+\w+)", output, re.M):
            setattr(result, name, _ms(match.group(1)))
    if match := re.search(r"Latency\s+[\d.]+\w+\s+[\d.]+\w+\s+([\d.]+\w+)", output):
        result.max_ms = _ms(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        result.errors += sum(int(value) for value in match.groups())
    if match := re.search(r"bench-errors: (\d+)", output):
        result.errors += int(match.group(1))
    elif match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        result.errors += int(match.group(1))
    return result


class Wrk:
    """``wrk -c C -t T -d S --latency``; POSTs through the Lua script above."""

    def __init__(self, connections: int, threads: int) -> None:
        self.binary = shutil.which("wrk")
        if not self.binary:
            raise SystemExit(WRK_HINT)
        self.connections, self.threads = connections, threads
        self.script = Path(tempfile.mkdtemp(prefix="samrad-wrk-")) / "post.lua"
        self.script.write_text(POST_SCRIPT)

    def _run(self, url: str, seconds: float, script_args: list[str] | None) -> WrkResult:
        argv = [self.binary, "-c", str(self.connections), "-t", str(self.threads), "-d", f"{seconds:g}s",
                "--latency", "--timeout", "10s"]
        if script_args is not None:
            argv += ["-s", str(self.script), url, "--", *script_args]
        else:
            argv.append(url)
        done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
        return parse_wrk(done.stdout)

    def get(self, url: str, seconds: float) -> WrkResult:
        return self._run(url, seconds, None)

    def post(
        self, url: str, seconds: float, prefix: str, mode: str = "api", csrf: str = "", cookie: str = ""
    ) -> WrkResult:
        """POST registrations with unique emails (``prefix`` keeps runs apart) as JSON (``api``) or a form."""
        return self._run(url, seconds, [prefix, mode, csrf, cookie])


def form_credentials(base: str, slug: str) -> tuple[str, str]:
    """GET the form once as a browser would: the hidden ``_csrf_token`` (form-encoded) and the cookie header."""
    from urllib.parse import quote_plus

    import httpx

    response = httpx.get(f"{base}/events/{slug}/register", timeout=10)
    response.raise_for_status()
    match = re.search(r'name="_csrf_token" value="([^"]+)"', response.text)
    cookie = response.cookies.get("samrad_csrf")
    if not match or not cookie:
        raise RuntimeError("the registration form carries no CSRF token or cookie")
    return quote_plus(match.group(1)), f"samrad_csrf={cookie}"


# --- 1,000 registrations at once -----------------------------------------------------------------------------

@dataclass
class RushAnswer:
    index: int
    status: int
    seconds: float
    finished: float
    body: dict


async def rush(port: int, path: str, count: int, prefix: str, give_up_after: float = 120) -> list[RushAnswer]:
    """Open ``count`` connections first, then send every registration at the same moment.

    Raw asyncio streams, not httpx: the client shares the cores with the server and must stay out of the way.
    """
    streams = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in range(count)))

    async def one(index: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> RushAnswer:
        body = json.dumps({"name": f"Deltager {index}", "email": f"{prefix}-{index}@example.org",
                           "category": "citizen", "consent": True}).encode()
        began = time.perf_counter()
        writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        try:
            raw = await asyncio.wait_for(reader.read(), give_up_after)
        except TimeoutError:
            raw = b""
        finished = time.perf_counter()
        writer.close()
        head, _, payload = raw.partition(b"\r\n\r\n")
        status = int(head.split()[1]) if head else 0
        try:
            parsed = json.loads(payload) if payload else {}
        except ValueError:
            parsed = {}
        return RushAnswer(index, status, finished - began, finished, parsed if isinstance(parsed, dict) else {})

    return list(await asyncio.gather(*(one(index, *stream) for index, stream in enumerate(streams))))


def in_order_share(positions_by_answer: list[int]) -> float:
    """Share of pairs of waitlisted answers whose answer order agrees with their waitlist positions."""
    n = len(positions_by_answer)
    if n < 2:
        return 1.0
    agree = sum(
        1 for i in range(n) for j in range(i + 1, n) if positions_by_answer[i] < positions_by_answer[j]
    )
    return agree / (n * (n - 1) / 2)


# --- the bare transaction loop --------------------------------------------------------------------------------

OUTBOX_BODY = "Tak for din tilmelding. " * 170  # about the size of a confirmation email's text and HTML


async def run_sql(query: str, *args):
    """Plain SQL with ``{}`` placeholders on the Piccolo engine, inside the current transaction if any."""
    from piccolo.querystring import QueryString

    from samrad.core import db

    return await db.engine().run_querystring(QueryString(query, *args))


SCRATCH_TABLES = (
    "CREATE TABLE bench_seat (id {pk}, capacity INTEGER NOT NULL, booked INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE bench_registration (id {pk}, seat INTEGER NOT NULL REFERENCES bench_seat (id), "
    "email VARCHAR(254) NOT NULL UNIQUE, token_hash VARCHAR(64) NOT NULL UNIQUE, status VARCHAR(20) NOT NULL, "
    "created_at {ts} NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    "CREATE TABLE bench_outbox (id {pk}, to_address VARCHAR(254) NOT NULL, subject VARCHAR(300) NOT NULL, "
    "body TEXT NOT NULL, status VARCHAR(10) NOT NULL DEFAULT 'pending', "
    "created_at {ts} NOT NULL DEFAULT CURRENT_TIMESTAMP)",
)


async def transaction_ceiling(seconds: float, tasks: int) -> float:
    """Transactions/s of the bare registration write on this engine, ``tasks`` at once, on one seat row.

    SQLite writers queue on an asyncio lock before BEGIN IMMEDIATE, as ``samrad.core.db.atomic()`` does.
    """
    from piccolo.engine.sqlite import SQLiteEngine, TransactionType

    from samrad.core import db

    engine = db.engine()
    sqlite = isinstance(engine, SQLiteEngine)
    pk, ts = ("INTEGER PRIMARY KEY", "TIMESTAMP") if sqlite else ("SERIAL PRIMARY KEY", "TIMESTAMPTZ")
    begin = {"transaction_type": TransactionType.immediate} if sqlite else {}
    await db.start()
    try:
        for ddl in SCRATCH_TABLES:
            await engine.run_ddl(ddl.format(pk=pk, ts=ts))
        await run_sql("INSERT INTO bench_seat (id, capacity) VALUES (1, 1000000000)")
        lock = asyncio.Lock()
        deadline = time.perf_counter() + seconds
        done = 0

        async def writer(number: int) -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                done += 1
                email = f"tx-{number}-{done}@example.org"
                async with lock if sqlite else contextlib.nullcontext(), engine.transaction(**begin):
                    claimed = await run_sql(
                        "UPDATE bench_seat SET booked = booked + 1 WHERE id = {} AND booked < capacity RETURNING id", 1
                    )
                    await run_sql(
                        "INSERT INTO bench_registration (seat, email, token_hash, status) VALUES ({}, {}, {}, {})",
                        1, email, uuid.uuid4().hex, "confirmed" if claimed else "waitlisted",
                    )
                    await run_sql(
                        "INSERT INTO bench_outbox (to_address, subject, body) VALUES ({}, {}, {})",
                        email, "Tilmelding bekræftet", OUTBOX_BODY,
                    )

        began = time.perf_counter()
        await asyncio.gather(*(writer(number) for number in range(tasks)))
        elapsed = time.perf_counter() - began
        committed = (await run_sql("SELECT COUNT(*) AS n FROM bench_registration"))[0]["n"]
        return committed / elapsed
    finally:
        for table in ("bench_outbox", "bench_registration", "bench_seat"):
            await engine.run_ddl(f"DROP TABLE IF EXISTS {table}")
        await db.stop()


if __name__ == "__main__":
    serve_bare(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1)
