"""The outbox with two senders, for ``make bench`` (the PostgreSQL run, with the other two-process figures).

``OUTBOX_MESSAGES`` ready-made emails are queued at once; two ``samrad worker --once`` processes are started
together on the bench's database (file backend, so the figure is the outbox's own cost, not an SMTP server's)
and deliver whatever is due. Each email sent leaves one log line with its id (``samrad.core.mail``), so the
logs say how many each process sent and whether any email went out twice; the rate is the number delivered
over the time from the first to the last delivery in either log (process start-up and the scheduled jobs of
the pass are left out).
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime

from samrad.bench_figures import Row
from samrad.bench_writes import run_sql

OUTBOX_MESSAGES = 1000
_SENT = re.compile(r"^(\S+ \S+) INFO samrad\.core\.mail: mail (\d+) \([^)]*\) sent after", re.MULTILINE)
_CLAIM_LOST = re.compile(r"mail (\d+) \([^)]*\): the claim ran out", re.MULTILINE)


async def _queue(count: int) -> int:
    """Queue ``count`` emails due now; returns how many are due in all: the demo's are waiting too (a few of
    its evaluation invitations have nothing to send any more, and are skipped)."""
    now = datetime.now(UTC)
    await run_sql(
        "INSERT INTO outbox_message (kind, to_address, subject, text_body, html_body, attachments, intent, status, "
        "attempts, next_attempt_at, last_error, created_at) "
        "SELECT 'bench.plain', 'bench' || n || '@example.org', 'Bench', 'Text', '<p>HTML</p>', '[]', NULL, "
        "'pending', 0, {}, '', {} FROM generate_series(1, {}) AS n",
        now, now, count,
    )
    rows = await run_sql("SELECT count(*) AS n FROM outbox_message WHERE status = 'pending'")
    return int(rows[0]["n"])


def outbox_senders(bench) -> Row:
    due = asyncio.run(_queue(OUTBOX_MESSAGES))
    env = {**bench.env, "SAMRAD_MAIL_BACKEND": "file", "SAMRAD_MAIL_DIR": str(bench.scratch / "outbox-senders")}
    logs = [bench.scratch / f"sender-{number}.log" for number in (1, 2)]
    processes = []
    for path in logs:
        with path.open("wb") as log:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "samrad", "worker", "--once"], env=env, stdout=log, stderr=subprocess.STDOUT,
            ))
    codes = [process.wait(timeout=600) for process in processes]
    texts = [path.read_text(errors="replace") for path in logs]
    sent = [_SENT.findall(text) for text in texts]
    sends = Counter(message_id for lines in sent for _at, message_id in lines)
    sends.update(message_id for text in texts for message_id in _CLAIM_LOST.findall(text))
    twice = sum(1 for count in sends.values() if count > 1)
    statuses = {row["status"]: int(row["n"]) for row in asyncio.run(
        run_sql("SELECT status, count(*) AS n FROM outbox_message GROUP BY status"))}
    left, not_sent = statuses.get("pending", 0), statuses.get("failed", 0) + statuses.get("skipped", 0)
    stamps = sorted(datetime.strptime(at, "%Y-%m-%d %H:%M:%S,%f") for lines in sent for at, _id in lines)
    seconds = (stamps[-1] - stamps[0]).total_seconds() if len(stamps) > 1 else 0.0
    rate = f"{len(stamps) / seconds:.0f}/s" if seconds else "–"
    failed = "" if codes == [0, 0] else f", exit codes {codes}"
    return Row(
        "outbox, 2 × `samrad worker --once` (file backend)",
        f"{len(sends)} of {due} emails in {seconds:.1f} s = {rate} (split {len(sent[0])} + {len(sent[1])}), "
        f"{twice} sent twice, {not_sent} failed or skipped, {left} left{failed}",
        "each sent once", twice == 0 and left == 0 and not failed,
    )
