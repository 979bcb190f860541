"""``samrad``: everything an operator does, from one command.

    samrad run                 migrate, load demo data into an empty database, start the worker, serve
    samrad serve               serve HTTP (uvicorn)
    samrad migrate             apply database migrations
    samrad demo                load the demo data (prints the demo staff credentials once)
    samrad worker [--once]     deliver the mail outbox and run scheduled jobs
    samrad createuser EMAIL    create a staff account (asks for the password, or --password-stdin)
    samrad token EMAIL NAME [--days N]    create an API token for a staff account (printed once)
    samrad taxonomy load NAME  load a built-in theme taxonomy (randers, cemr, lerum) as a new policy
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
    COMMANDS[function.__name__.removeprefix("cmd_")] = function
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
    run_server("samrad.app:create_app", host=args.host or settings.host, port=args.port or settings.port,
               workers=workers)
    return 0


def run_server(app: str, *, host: str, port: int, workers: int) -> None:
    """uvicorn with Samråd's settings (factory ``app``, proxy headers, no access log), in ``workers`` processes."""
    config = ServerConfig(
        app,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
        access_log=False,  # paths carry manage tokens; the app logs what it needs without them
    )
    if workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        config.load_app()
        uvicorn.Server(config).run()


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
    taxonomy = sub.add_parser("taxonomy")
    taxonomy.add_argument("action", choices=["load"])
    taxonomy.add_argument("name", help="randers, cemr or lerum")
    return root


@command
def cmd_taxonomy(args: argparse.Namespace) -> int:
    from feedback.themes.cli import load_taxonomy

    return asyncio.run(load_taxonomy(args.name))


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    sys.exit(COMMANDS[args.command](args))
