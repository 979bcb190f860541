"""``samrad``: everything an operator does, from one command.

    samrad run                 migrate, load demo data into an empty database, start the worker, serve
    samrad serve               serve HTTP (uvicorn)
    samrad migrate             apply database migrations
    samrad check               verify seats, quotas, waiting lists, workshop seats and the outbox (exit 1 on mismatch)
    samrad demo                load the demo data (prints the demo staff credentials once)
    samrad worker [--once]     deliver the mail outbox and run scheduled jobs
    samrad createuser EMAIL    create a staff account (asks for the password, or --password-stdin)
    samrad token EMAIL NAME [--days N]    create an API token for a staff account (printed once)
    samrad taxonomy load NAME  load a built-in theme taxonomy (randers, cemr, lerum) as a new policy
    samrad purge [--dry-run]   remove or anonymise personal data whose retention period is over
    samrad backup [--to PATH]  a consistent copy of the database while the app runs (SQLite; pg_dump)
    samrad copy-to-postgres URL    copy the SQLite database into an empty, migrated PostgreSQL database
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import socket
import subprocess
import sys
from collections.abc import Callable

import uvicorn
from uvicorn.supervisors import Multiprocess

os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(function: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    COMMANDS[function.__name__.removeprefix("cmd_").replace("_", "-")] = function
    return function


async def migrate() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards("all")
    if not result.success:
        raise SystemExit(f"migrations failed: {result.message}")


@command
def cmd_migrate(_args: argparse.Namespace) -> int:
    asyncio.run(migrate())
    return 0


@command
def cmd_serve(args: argparse.Namespace) -> int:
    from samrad.core.settings import get_settings

    settings = get_settings()
    workers = args.workers or settings.web_workers
    if workers > 1 and not settings.redis_url:
        print("error: several server processes share sessions and rate limits through Redis: "
              "set SAMRAD_REDIS_URL, or serve with one worker", file=sys.stderr)
        return 2
    run_server("samrad.app:create_served_app", host=args.host or settings.host, port=args.port or settings.port,
               workers=workers, trusted_proxies=settings.trusted_proxies)
    return 0


def run_server(app: str, *, host: str, port: int, workers: int, trusted_proxies: str = "127.0.0.1,::1") -> None:
    """uvicorn with Samråd's settings (``server_config``), in ``workers`` processes."""
    config = server_config(app, host=host, port=port, workers=workers, trusted_proxies=trusted_proxies)
    if workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        config.load_app()
        uvicorn.Server(config).run()


def server_config(app: str, *, host: str, port: int, workers: int = 1, trusted_proxies: str) -> ServerConfig:
    """Factory ``app``, no access log. The client address and scheme come from X-Forwarded-For and
    X-Forwarded-Proto only when the connection comes from one of ``trusted_proxies`` (``SAMRAD_TRUSTED_PROXIES``,
    addresses or networks), and then the rightmost address not itself a trusted proxy: rate limits count per it."""
    return ServerConfig(
        app,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips=trusted_proxies,
        log_level="info",
        access_log=False,  # paths carry manage tokens; the app logs what it needs without them
        # Live-wall streams never end by themselves: on SIGTERM they get this long, then they are cut (the
        # browser reconnects after 2 s, to whichever process is up), instead of holding a restart up.
        timeout_graceful_shutdown=10,
    )


class ServerConfig(uvicorn.Config):
    def bind_socket(self) -> socket.socket:
        """uvicorn makes the socket its worker processes share with protocol 0, and asyncio switches Nagle's
        algorithm off (TCP_NODELAY) only on accepted sockets whose protocol says TCP: every response of
        ``--workers N`` would then wait on a delayed ACK, about 40 ms (measured in docs/benchmarks.md)."""
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
            sock.set_inheritable(True)
        return sock


@command
def cmd_demo(args: argparse.Namespace) -> int:
    from samrad.demo import load_demo

    return asyncio.run(load_demo(only_if_empty=args.if_empty))


@command
def cmd_worker(args: argparse.Namespace) -> int:
    from samrad import worker

    return asyncio.run(worker.run(once=args.once))


@command
def cmd_run(args: argparse.Namespace) -> int:
    """Development: one command from an empty checkout to the demo at http://127.0.0.1:8000."""
    from samrad.demo import load_demo

    asyncio.run(migrate())
    asyncio.run(load_demo(only_if_empty=True))
    worker = subprocess.Popen([sys.executable, "-m", "samrad", "worker"])
    try:
        return cmd_serve(args)
    finally:
        worker.terminate()
        worker.wait(timeout=10)


@command
def cmd_createuser(args: argparse.Namespace) -> int:
    from samrad.core.accounts import create_staff_user

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    try:
        asyncio.run(create_staff_user(args.email, args.name or args.email, password, args.role))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"created {args.role} {args.email}")
    return 0


@command
def cmd_token(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from samrad.core.accounts import MAX_TOKEN_DAYS, create_api_token
    from samrad.core.clock import now_utc

    if not 1 <= args.days <= MAX_TOKEN_DAYS:
        print(f"error: --days must be 1 to {MAX_TOKEN_DAYS}", file=sys.stderr)
        return 2
    try:
        token = asyncio.run(create_api_token(args.email, args.name, expires_at=now_utc() + timedelta(days=args.days),
                                             actor="system"))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(token)
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="samrad", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = root.add_subparsers(dest="command", required=True)
    for name in ("serve", "run"):
        serve = sub.add_parser(name)
        serve.add_argument("--host", help="default: SAMRAD_HOST")
        serve.add_argument("--port", type=int, help="default: SAMRAD_PORT")
        serve.add_argument("--workers", type=int, help="default: SAMRAD_WEB_WORKERS")
    sub.add_parser("migrate")
    sub.add_parser("check")
    demo = sub.add_parser("demo")
    demo.add_argument("--if-empty", action="store_true", help="do nothing when events exist")
    worker = sub.add_parser("worker")
    worker.add_argument("--once", action="store_true", help="one pass, then exit (for cron)")
    createuser = sub.add_parser("createuser")
    createuser.add_argument("email")
    createuser.add_argument("--name", default="")
    createuser.add_argument("--role", default="organiser", choices=["admin", "organiser", "facilitator", "checkin"])
    createuser.add_argument("--password-stdin", action="store_true")
    token = sub.add_parser("token")
    token.add_argument("email")
    token.add_argument("name")
    token.add_argument("--days", type=int, default=90, help="how long the token works (default 90, at most 366)")
    purge = sub.add_parser("purge")
    purge.add_argument("--dry-run", action="store_true", help="count per field what would go; change nothing")
    backup = sub.add_parser("backup")
    backup.add_argument("--to", help="file or folder (default: backups/ in the data folder)")
    copy = sub.add_parser("copy-to-postgres")
    copy.add_argument("url", help="postgresql://user@host:5432/name (password in PGPASSWORD or ~/.pgpass)")
    taxonomy = sub.add_parser("taxonomy")
    taxonomy.add_argument("action", choices=["load"])
    taxonomy.add_argument("name", help="randers, cemr or lerum")
    return root


@command
def cmd_taxonomy(args: argparse.Namespace) -> int:
    from feedback.themes.cli import load_taxonomy

    return asyncio.run(load_taxonomy(args.name))


@command
def cmd_purge(args: argparse.Namespace) -> int:
    from samrad.purge import purge_command

    return asyncio.run(purge_command(dry_run=args.dry_run))


@command
def cmd_backup(args: argparse.Namespace) -> int:
    from samrad.core.backup import backup_command

    return backup_command(args.to)


@command
def cmd_copy_to_postgres(args: argparse.Namespace) -> int:
    from samrad.copy_to_postgres import copy_command

    return asyncio.run(copy_command(args.url))


@command
def cmd_check(_args: argparse.Namespace) -> int:
    from samrad.areas import AREAS
    from samrad.core.invariants import KERNEL_INVARIANTS, check_command

    return asyncio.run(check_command([*KERNEL_INVARIANTS, *(check for area in AREAS for check in area.invariants)]))


# Commands that write: they check the data folder first (``samrad.core.preflight``).
WRITERS = frozenset({"serve", "run", "migrate", "worker", "demo", "purge"})


def main(argv: list[str] | None = None) -> None:
    from samrad.core import preflight

    args = parser().parse_args(argv)
    try:
        settings = preflight.settings_or_explain()
        if args.command in WRITERS:
            preflight.check_storage(settings)
    except preflight.StorageUnusable as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    try:
        code = COMMANDS[args.command](args)
    except Exception as error:
        line = preflight.explain_outage(error, settings)
        if line is None:
            raise
        print(f"error: {line}", file=sys.stderr)
        code = 2
    sys.exit(code)
