"""Shared set-up for the fault tests: real server and worker processes on the test database, and a TCP proxy in
front of PostgreSQL that can be cut and restored.

The processes are started the way ``make bench`` starts them (``samrad.bench_load.Server``: a free port, wait
for ``/readyz``), with the environment the suite's ``conftest.py`` set: the same SQLite file or PostgreSQL
database as the test process, which reads and writes it directly to set up and to check.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from samrad.bench_load import Server, free_port
from samrad.core.settings import ROOT


def process_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The suite's environment for a child process, with limits that a burst of registrations does not meet."""
    return {
        **os.environ,
        "SAMRAD_RATE_LIMIT_REGISTRATIONS": "1000000/minute",
        "SAMRAD_RATE_LIMIT_API": "1000000/minute",
        "SAMRAD_MAIL_DIR": str(tmp_path / "outbox"),
        "SAMRAD_WORKER_INTERVAL": "1",
        **extra,
    }


def start_server(tmp_path: Path, env: dict[str, str], name: str = "server", ready_path: str = "/readyz") -> Server:
    """``samrad serve`` (one process) on a free port, once ``ready_path`` answers 200 (``/healthz`` for a server
    whose database is away)."""
    argv = [sys.executable, "-m", "samrad", "serve", "--host", "127.0.0.1", "--port", "{port}", "--workers", "1"]
    return Server(argv, env, tmp_path / f"{name}.log", ready_path=ready_path)


def kill(server: Server) -> None:
    """SIGKILL: no shutdown, no rollback by the process, sockets cut by the kernel."""
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    server.stop()  # only closes the log: the process is gone


@contextlib.contextmanager
def worker_process(tmp_path: Path, env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """``samrad worker`` looping every second; stopped with SIGTERM (its clean stop) at the end."""
    log = (tmp_path / "worker.log").open("ab")
    process = subprocess.Popen([sys.executable, "-m", "samrad", "worker"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


class TcpProxy:
    """Forwards a local port to a server (PostgreSQL). ``cut()`` stops listening and drops every connection, as a
    database server that went away does; ``restore()`` listens on the same port again.

    It runs its own event loop in a thread, so the test's blocking calls never hold it up."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server: asyncio.base_events.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()
        self.restore()

    def _call(self, coroutine) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    def restore(self) -> None:
        self._call(self._listen())

    def cut(self) -> None:
        self._call(self._cut())

    def close(self) -> None:
        self.cut()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    def url(self, database_url: str) -> str:
        """``database_url`` pointed at the proxy."""
        parts = urlsplit(database_url)
        netloc = parts.netloc.rsplit("@", 1)
        address = f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{address}" if len(netloc) == 2 else address))

    async def _listen(self) -> None:
        if self.server is None:
            self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for writer in list(self.links):
            writer.transport.abort()
        self.links.clear()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.links.update({writer, upstream_writer})
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer), return_exceptions=True)
        self.links.difference_update({writer, upstream_writer})


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.transport.abort()
