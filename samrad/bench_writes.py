"""Writes for ``make bench``: 1,000 registrations sent at the same moment, and the registration ceiling, a bare
conditional UPDATE + INSERT + outbox INSERT transaction loop on the same engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass


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
