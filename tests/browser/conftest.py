"""Browser layer: a real Samråd server on a free port, Debian's Chromium driven by Playwright, axe-core on every page.

The server is a subprocess (``python -m samrad serve``) on the test run's database (the environment that
tests/conftest.py sets up is inherited), so these tests never run the app in-process and use Playwright's sync
API outside any event loop. Database work of the fixtures (emptying the tables, loading the demo) runs in a
short-lived loop of its own before the test body starts. Helpers (axe-core, keyboard, focus, screenshots)
are in browser_support.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from browser_support import ADMIN_EMAIL, ADMIN_PASSWORD, CHECKIN_EMAIL, CHECKIN_PASSWORD, RELAXED_RATE_LIMITS
from database_support import empty_all_tables
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from samrad.core.settings import ROOT

CHROMIUM = os.environ.get("SAMRAD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


# --- the server ------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """``samrad serve`` on a free port, on the test database; its log is shown if it fails to start."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "SAMRAD_BASE_URL": base_url,
        "SAMRAD_COOKIE_SECURE": "false",
        **RELAXED_RATE_LIMITS,
        "PYTHONUNBUFFERED": "1",
    }
    log_path = Path(os.environ["SAMRAD_DATA_DIR"]) / f"browser-server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "samrad", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not _answers(f"{base_url}/healthz"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"samrad serve did not start:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module. Module scope, not session: while Playwright runs, the main thread counts as
    running an event loop, and the anyio tests that follow must start their own."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Browser, server: str) -> Iterator[BrowserContext]:
    """A fresh browser profile per test (no cookies), Danish by default like the municipality's own site."""
    ctx = browser.new_context(
        base_url=server,
        viewport={"width": 1280, "height": 900},
        locale="da-DK",
        timezone_id="Europe/Copenhagen",
        reduced_motion="reduce",
    )
    ctx.set_default_timeout(15_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    assert not errors, f"JavaScript errors on the page: {errors}"


# --- the database ----------------------------------------------------------------------------------------------


def _run(coroutine_function: Callable[[], Any]) -> Any:
    """Run database work in a loop of its own, on a thread of its own.

    While Playwright's sync API is active, the main thread counts as running Playwright's event loop, so
    ``asyncio.run`` cannot start there.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="browser-db") as pool:
        return pool.submit(asyncio.run, coroutine_function()).result()


@pytest.fixture(scope="module")
def module_database() -> None:
    """Empty tables at the start of each browser test module."""
    _run(empty_all_tables)


@pytest.fixture(autouse=True)
def empty_database(module_database: None) -> None:
    """Replaces the harness' async per-test cleanup for these synchronous tests.

    A browser module shares one database: loading the demo takes seconds, and the tests of a module are written
    not to disturb each other (their own email addresses, the demo's generous capacities).
    """


@pytest.fixture(scope="module")
def demo(module_database: None) -> None:
    """The demo installation (conference, café, trainings, network meeting), loaded once for the module."""
    from samrad.demo import load_demo

    with contextlib.redirect_stdout(io.StringIO()):  # the demo prints its staff passwords
        assert _run(load_demo) == 0


@pytest.fixture(scope="module")
def staff(module_database: None) -> dict[str, dict[str, str]]:
    """Staff accounts the tests log in with: check-in staff at the door and an administrator."""
    from samrad.core.accounts import create_staff_user

    accounts = {
        "checkin": {"email": CHECKIN_EMAIL, "password": CHECKIN_PASSWORD, "name": "Door Keeper"},
        "admin": {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "name": "Office Admin"},
    }

    async def create() -> None:
        for role, account in accounts.items():
            await create_staff_user(account["email"], account["name"], account["password"], role)

    _run(create)
    return accounts


@pytest.fixture
def run_async() -> Callable[[Callable[[], Any]], Any]:
    """Run a coroutine function against the test database from a synchronous browser test."""
    return _run
