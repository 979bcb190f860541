"""``samrad worker``: the kernel's worker loop with every area's jobs, mail renderers and what the areas provide."""

from __future__ import annotations

from samrad.areas import AREAS, mail_renderers, provided
from samrad.core.settings import Settings, get_settings
from samrad.core.worker import Worker, run_worker
from samrad.purge import RETENTION_JOB


def build_worker(settings: Settings) -> Worker:
    jobs = [RETENTION_JOB, *(job for area in AREAS for job in area.jobs)]
    return Worker(settings, jobs, provided(), mail_renderers())


async def run(once: bool = False, settings: Settings | None = None) -> int:
    return await run_worker(build_worker(settings or get_settings()), once=once)
