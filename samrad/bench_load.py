"""The servers ``make bench`` loads: ``samrad serve`` and the bare Litestar app (the page ceiling: same uvicorn
settings, same client, no application work), their memory, and the CPU the rest of the machine uses meanwhile.

Load comes from ``samrad.bench_wrk`` (steady, wrk) and ``samrad.bench_writes`` (1,000 at once, and the bare
transaction loop, the registration ceiling).

    python -m samrad.bench_load PORT [WORKERS]     serve the bare app (started by samrad.bench)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path


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


if __name__ == "__main__":
    serve_bare(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1)
