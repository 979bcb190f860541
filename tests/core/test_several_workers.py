"""Several workers at once, in one process and as real processes: every email goes out exactly once, and a
scheduled job runs once per period, whichever worker claims it.

Delivery loops share the outbox through the claim (``samrad.core.mail``: one statement, ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, a lease and the attempt count as fencing token); jobs share ``job_run``
(``samrad.core.job_runs``). Both hold on SQLite too, where writers take turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from mailcal_support import make_event, make_registration

from samrad.core import db, job_runs, mail
from samrad.core.area import Job
from samrad.core.settings import ROOT
from samrad.core.tables import AuditEntry, OutboxMessage
from samrad.core.worker import Worker

pytestmark = pytest.mark.concurrency

MESSAGES = 300


async def _queue(count: int) -> list[int]:
    """``count`` ready-made emails, one per address, all due now."""
    rows = [
        OutboxMessage(kind="test.plain", to_address=f"p{number}@example.org", subject="Hello", text_body="Text",
                      html_body="<p>HTML</p>", attachments=[], intent=None, status="pending", attempts=0,
                      next_attempt_at=datetime.now(UTC), last_error="")
        for number in range(count)
    ]
    async with db.atomic():
        await OutboxMessage.insert(*rows)
    return [row["id"] for row in await OutboxMessage.select(OutboxMessage.id)]


class RecordingBackend:
    """A transport that keeps the id of every message handed to it, and lets other tasks run mid-send."""

    def __init__(self, sent: list[int]) -> None:
        self.sent = sent

    async def __aenter__(self) -> RecordingBackend:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def send(self, row, message) -> None:
        await asyncio.sleep(0)
        self.sent.append(row["id"])


@pytest.fixture
def recorded(monkeypatch) -> list[int]:
    sent: list[int] = []
    monkeypatch.setattr(mail, "backend_for", lambda _settings: RecordingBackend(sent))
    return sent


async def _statuses() -> Counter[str]:
    return Counter(row["status"] for row in await OutboxMessage.select(OutboxMessage.status))


# --- the outbox ---------------------------------------------------------------------------------------------

async def test_concurrent_delivery_loops_send_every_message_exactly_once(settings, recorded):
    ids = await _queue(MESSAGES)

    async def loop() -> int:
        sent = 0
        while (report := await mail.deliver_due(settings, 25)).handled:
            sent += report.sent
        return sent

    per_loop = await asyncio.gather(*(loop() for _ in range(6)))

    assert sum(per_loop) == MESSAGES
    assert sorted(recorded) == sorted(ids)  # each id once: no duplicate, none missing
    assert await _statuses() == Counter({"sent": MESSAGES})
    assert {row["attempts"] for row in await OutboxMessage.select(OutboxMessage.attempts)} == {1}


async def test_a_sender_whose_lease_ran_out_cannot_overwrite_the_one_that_took_over(settings, monkeypatch, caplog):
    """Sender A hangs on a message past its lease; B claims it again and sends it. A's late failure is not
    recorded: the message stays sent, and is not tried a third time."""
    [message_id] = await _queue(1)
    in_send, give_up = asyncio.Event(), asyncio.Event()
    sent: list[str] = []

    class Backend(RecordingBackend):
        def __init__(self, name: str) -> None:
            self.name = name

        async def send(self, row, message) -> None:
            if self.name == "A":
                in_send.set()
                await give_up.wait()
                raise TimeoutError("the SMTP server stopped answering")
            sent.append(self.name)

    names = iter("AB")
    monkeypatch.setattr(mail, "backend_for", lambda _settings: Backend(next(names)))
    started = datetime.now(UTC)
    sender_a = asyncio.create_task(mail.deliver_due(settings, now=started))
    await in_send.wait()

    later = await mail.deliver_due(settings, now=started + mail.CLAIM_LEASE + timedelta(seconds=1))
    give_up.set()
    first = await sender_a

    assert (later.sent, sent) == (1, ["B"])
    assert first.sent == 0
    row = await OutboxMessage.select().where(OutboxMessage.id == message_id).first()
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 2, "")
    assert "another sender has it" in caplog.text


async def test_a_stopping_worker_gives_back_what_it_claimed_and_did_not_try(settings, recorded):
    await _queue(5)

    def stop_after_two() -> bool:
        return len(recorded) >= 2

    report = await mail.deliver_due(settings, should_stop=stop_after_two)

    assert report.sent == 2
    waiting = await OutboxMessage.select().where(OutboxMessage.status == "pending").order_by(OutboxMessage.id)
    assert len(waiting) == 3
    assert {row["attempts"] for row in waiting} == {0}  # not tried: no attempt counted
    assert all(row["next_attempt_at"] <= datetime.now(UTC) for row in waiting)  # due at once, not after the lease
    assert (await mail.deliver_due(settings)).sent == 3


# --- scheduled jobs -----------------------------------------------------------------------------------------

def _probe(fail: bool = False) -> tuple[Job, list[datetime]]:
    """An hourly job that notes each run (and fails, if asked)."""
    runs: list[datetime] = []

    async def run(now, _settings, _provided):
        runs.append(now)
        await asyncio.sleep(0)
        if fail:
            raise RuntimeError("the job failed")
        return {"probe": 1}

    return Job("probe", run, every=timedelta(hours=1)), runs


async def test_a_job_with_a_period_runs_once_per_period_whatever_the_number_of_workers(settings, recorded):
    job, runs = _probe()
    workers = [Worker(settings, [job]) for _ in range(4)]
    now = datetime.now(UTC)

    reports = await asyncio.gather(*(worker.run_pass(now) for worker in workers))
    assert len(runs) == 1
    assert sum(report.counts["probe"] for report in reports) == 1

    # Within the period nobody runs it again, not even a worker that never did; after it, exactly one does.
    await asyncio.gather(*(worker.run_pass(now + timedelta(minutes=59)) for worker in workers))
    assert len(runs) == 1
    await asyncio.gather(*(worker.run_pass(now + timedelta(minutes=61)) for worker in workers))
    assert runs == [now, now + timedelta(minutes=61)]
    assert (await job_runs.last_runs())["probe"] == now + timedelta(minutes=61)


async def test_a_failed_run_is_tried_again_by_the_next_pass_of_any_worker(settings):
    failing, failed_runs = _probe(fail=True)
    working, runs = _probe()
    now = datetime.now(UTC)

    report = await Worker(settings, [failing]).run_pass(now)
    assert (report.errors, len(failed_runs)) == (1, 1)
    await Worker(settings, [working]).run_pass(now + timedelta(minutes=1))

    assert runs == [now + timedelta(minutes=1)]


async def test_jobs_of_every_pass_run_in_every_worker_and_remind_each_person_once(settings, recorded):
    """Reminders have no period: every worker runs them, and each registration is claimed by one of them."""
    from samrad.worker import build_worker

    now = datetime.now(UTC).replace(microsecond=0)
    event = await make_event(starts_at=now + timedelta(hours=5))
    people = [await make_registration(event["id"], created_at=now - timedelta(days=5)) for _ in range(6)]
    workers = [build_worker(settings) for _ in range(3)]

    reports = await asyncio.gather(*(worker.run_pass(now) for worker in workers))

    assert sum(report.counts["reminders"] for report in reports) == len(people)
    assert sum(report.sent for report in reports) == len(people)
    assert len(recorded) == len(set(recorded)) == len(people)


# --- real worker processes ------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recipients:
    """An SMTP server's handler that counts every recipient it accepts a message for."""

    def __init__(self) -> None:
        self.count: Counter[str] = Counter()

    async def handle_DATA(self, server, session, envelope):
        self.count.update(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def smtp_recorder():
    handler, port = Recipients(), _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _processes(argv: list[str], env: dict[str, str], logs: Path, count: int = 2) -> list[tuple[int, str]]:
    """Start ``count`` processes at once, wait for all of them; their exit codes and the ends of their logs."""
    started = []
    for number in range(count):
        log = (logs / f"process-{number}.log").open("wb")
        started.append((subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT), log))
    finished = []
    for process, log in started:
        process.wait(timeout=180)
        log.close()
        finished.append((process.returncode, Path(log.name).read_text(errors="replace")[-3000:]))
    return finished


async def test_two_worker_processes_send_every_message_exactly_once(tmp_path):
    await _queue(MESSAGES)
    with smtp_recorder() as (recipients, port):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "SAMRAD_MAIL_BACKEND": "smtp", "SAMRAD_SMTP_HOST": "127.0.0.1",
               "SAMRAD_SMTP_PORT": str(port), "SAMRAD_MAIL_DIR": str(tmp_path)}
        runs = await asyncio.to_thread(_processes, [sys.executable, "-m", "samrad", "worker", "--once"], env, tmp_path)

    for code, log in runs:
        assert code == 0, log
    assert recipients.count == Counter({f"p{number}@example.org": 1 for number in range(MESSAGES)})
    assert await _statuses() == Counter({"sent": MESSAGES})


PROBE_WORKER = """
import asyncio, os, sys
from datetime import timedelta
from samrad.core import audit, db
from samrad.core.area import Job
from samrad.core.settings import get_settings
from samrad.core.worker import Worker, run_worker

async def probe(now, settings, provided):
    async with db.atomic():
        await audit.record("system", "probe.ran", "worker")
    return {"probe": 1}

worker = Worker(get_settings(), [Job("probe", probe, every=timedelta(hours=1))])
sys.exit(asyncio.run(run_worker(worker, once=True)))
"""


async def test_two_worker_processes_run_a_scheduled_job_once(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SAMRAD_MAIL_DIR": str(tmp_path)}

    runs = await asyncio.to_thread(_processes, [sys.executable, "-c", PROBE_WORKER], env, tmp_path, 3)

    for code, log in runs:
        assert code == 0, log
    assert len(await AuditEntry.select(AuditEntry.id).where(AuditEntry.action == "probe.ran")) == 1
    assert set(await job_runs.last_runs()) == {"probe"}
