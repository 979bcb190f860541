"""Counts of frequent, routine events, logged as one line a minute instead of one line each.

A log line costs a busy server more than it seems: the record is made and formatted, handed to the logging
thread, and written (measured: about 7 % of a registration's CPU). For what happens hundreds of times a
second, each with its own row in the database anyway (a registration), the log keeps the rate: one INFO line
per period, ``registrations 13:05:00–13:06:00 UTC: confirmed 812, waitlisted 188``, with the single events
at DEBUG. Counts are per process, in memory; a period's line is written by the first event after it ends, or
by a timer when no event follows. Keys are statuses or kinds: never personal data.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

PERIOD_SECONDS = 60.0


class Tally:
    def __init__(self, log: logging.Logger, what: str, period: float = PERIOD_SECONDS) -> None:
        self.log = log
        self.what = what
        self.period = period
        self.counts: dict[str, int] = {}
        self.started = 0.0  # wall-clock start of the period being counted (0: nothing counted)
        self._timer: asyncio.TimerHandle | None = None

    def add(self, key: str) -> None:
        now = time.time()
        if self.counts and now - self.started >= self.period:
            self.flush(now)
        if not self.counts:
            self.started = now
            self._flush_later()
        self.counts[key] = self.counts.get(key, 0) + 1

    def flush(self, now: float | None = None) -> None:
        """Log the counts of the period so far and start counting afresh."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self.counts:
            return
        counts, self.counts = self.counts, {}
        if self.log.isEnabledFor(logging.INFO):
            end = now if now is not None else time.time()
            self.log.info(
                "%s %s–%s UTC: %s", self.what, _clock(self.started), _clock(end),
                ", ".join(f"{key} {count}" for key, count in sorted(counts.items())),
            )

    def _flush_later(self) -> None:
        """Without a loop (a script), the next ``add`` after the period writes the line."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._timer = loop.call_later(self.period, self.flush)


def _clock(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%H:%M:%S")
