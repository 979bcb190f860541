"""Developer checks run by make and CI: migrations against PostgreSQL, message extraction, benchmarks.

    python -m samrad.checks migrations --database-url postgresql://...
    python -m samrad.checks extract-messages
    python -m samrad.checks bench
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from samrad.settings import ROOT

APPS = ("samrad", "events", "workshops", "feedback")


def _run(args: list[str], env: dict[str, str], cwd: Path = ROOT) -> str:
    result = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        sys.stdout.write(result.stdout + result.stderr)
        raise SystemExit(f"failed: {' '.join(args)}")
    return result.stdout + result.stderr


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def check_migrations(database_url: str) -> int:
    """Migrations apply to an empty PostgreSQL database, all are recorded, and the tables need no new one."""
    name = f"samrad_migcheck_{uuid.uuid4().hex[:8]}"
    target = urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))
    asyncio.run(_admin(database_url, f'CREATE DATABASE "{name}"'))
    scratch = Path(tempfile.mkdtemp(prefix="samrad-migcheck-"))
    try:
        env = {**os.environ, "DATABASE_URL": target, "PICCOLO_CONF": "piccolo_conf", "SAMRAD_DATA_DIR": str(scratch)}
        _run([sys.executable, "-m", "samrad", "migrate"], env)
        listing = _run([sys.executable, "-m", "piccolo.main", "migrations", "check"], env)
        pending = [line for line in listing.splitlines() if line.rstrip().endswith("| False")]
        if pending:
            raise SystemExit("migrations not applied:\n" + "\n".join(pending))
        copy = scratch / "tree"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "data", "node_modules", "*.pyc"))
        before = {app: set((copy / app / "piccolo_migrations").glob("*.py")) for app in APPS}
        for app in APPS:
            _run([sys.executable, "-m", "piccolo.main", "migrations", "new", app, "--auto"], env, cwd=copy)
        missing = [app for app in APPS if set((copy / app / "piccolo_migrations").glob("*.py")) != before[app]]
        if missing:
            raise SystemExit(f"tables changed without a migration in: {', '.join(missing)}")
        print(f"migrations ok: {len(listing.splitlines())} lines checked, no model changes without a migration")
        return 0
    finally:
        asyncio.run(_admin(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m samrad.checks")
    sub = parser.add_subparsers(dest="check", required=True)
    migrations = sub.add_parser("migrations")
    migrations.add_argument("--database-url", required=True)
    args = parser.parse_args()
    if args.check == "migrations":
        sys.exit(check_migrations(args.database_url))


if __name__ == "__main__":
    main()
