"""The live wall in a real browser: input captured through the service appears within a second, hidden input
disappears, the reduced-motion switch, the type fitting itself to the screen, the page without JavaScript
reloading itself, axe-core in da, sv, en. (A wall that goes offline and reconnects: test_capture_offline.py.)

The server here runs its channels on Redis, and so does this test process: input captured by the test (through
the capture and moderation services) reaches the server's walls as it would from another server process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import LOCALES, RELAXED_RATE_LIMITS, assert_accessible, screenshot, visit
from playwright.sync_api import Browser, Page, expect

from samrad.core.settings import ROOT

pytestmark = pytest.mark.browser

REDIS_URL = "redis://127.0.0.1:6379/14"
ARRIVAL_MS = 1000


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """``samrad serve`` with its channels on Redis (replaces the shared server for this module)."""
    from samrad.bench_load import free_port

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **RELAXED_RATE_LIMITS, "SAMRAD_BASE_URL": base_url, "SAMRAD_COOKIE_SECURE": "false",
           "PYTHONUNBUFFERED": "1", "SAMRAD_REDIS_URL": REDIS_URL, "SAMRAD_CHANNELS": "redis"}
    log_path = Path(os.environ["SAMRAD_DATA_DIR"]) / f"wall-server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "samrad", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
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
        process.wait(timeout=15)


class Announcer:
    """This process as a second server process: an event loop of its own with the wall's channels on Redis,
    in which input is captured and hidden through the services (which announce it)."""

    def __init__(self) -> None:
        from feedback.wall.channels import wall_channels
        from samrad.core.settings import get_settings

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.channels = wall_channels(dataclasses.replace(get_settings(), channels="redis", redis_url=REDIS_URL))
        self.run(self.channels.__aenter__())

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def close(self) -> None:
        self.run(self.channels.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def announcer(module_database) -> Iterator[Announcer]:
    announcer = Announcer()
    try:
        yield announcer
    finally:
        announcer.close()


async def _make_wall() -> dict[str, Any]:
    from registration_support import make_event, make_workshop

    from feedback.tables import Policy, Theme, WorkshopTheme

    event = await make_event()
    workshop_id = await make_workshop(event["id"], title="Safe streets")
    policy = Policy(code=f"wall-{uuid.uuid4().hex[:6]}", kind="areas", name={"en": "Policy"})
    await policy.save()
    themes = []
    for code, colour, names in (("safety", "#ffcc00", ("Tryghed", "Trygghet", "Safety")),
                                ("mobility", "#1f5f8b", ("Mobilitet", "Mobilitet", "Mobility"))):
        theme = Theme(policy=policy.id, code=code, colour=colour, theme_key=f"{policy.id}:{code}",
                      name=dict(zip(("da", "sv", "en"), names, strict=True)))
        await theme.save()
        await WorkshopTheme(workshop=workshop_id, theme=theme.id, link_key=f"{workshop_id}:{theme.id}").save()
        themes.append(theme.id)
    return {"workshop_id": workshop_id, "slug": event["slug"], "themes": themes}


async def _capture(workshop_id: int, text: str, theme_ids: list[int]) -> int:
    from feedback.capture import services
    from feedback.tables import InputSource

    context = await services.load_workshop(workshop_id)
    draft = services.parse_item(
        {"client_id": str(uuid.uuid4()), "text": text, "kind": "idea", "theme_ids": theme_ids, "language": "da"},
        context,
    )
    return (await services.capture(context, [draft], source=InputSource.facilitator))[0].item["id"]


async def _hide(item_id: int) -> None:
    from feedback.moderation import services

    assert await services.hide(await services.item_or_none(item_id), None)


@pytest.fixture(scope="module")
def wall(announcer: Announcer) -> dict[str, Any]:
    return announcer.run(_make_wall())


def _live(page: Page) -> None:
    expect(page.locator("body")).to_have_attribute("data-live", "true")


def test_input_appears_within_a_second_and_disappears_when_hidden(page: Page, wall, announcer):
    path = f"/workshops/{wall['workshop_id']}/wall"
    visit(page, f"{path}?lang=en")
    _live(page)
    began = time.monotonic()
    item_id = announcer.run(_capture(wall["workshop_id"], "Wider pavements by the school", [wall["themes"][0]]))
    card = page.locator(f'.wall-card[data-id="{item_id}"]')
    expect(card).to_be_visible(timeout=ARRIVAL_MS)
    assert time.monotonic() - began < ARRIVAL_MS / 1000 + 0.5  # the service call itself included
    expect(card).to_contain_text("Wider pavements by the school")
    expect(page.locator("#wall-count")).to_have_text("1 item")
    expect(card.locator(".wall-chip")).to_have_text("Safety")
    # Black text on the yellow theme (axe checks the contrast of every card as well).
    assert card.evaluate("node => getComputedStyle(node).color") == "rgb(0, 0, 0)"
    expect(page.locator("#wall-legend .wall-chip")).to_have_text(["Safety"])
    assert_accessible(page)

    announcer.run(_hide(item_id))
    expect(card).to_have_count(0, timeout=ARRIVAL_MS)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_wall_in_each_language(page: Page, wall, announcer, locale):
    announcer.run(_capture(wall["workshop_id"], f"Bænke ved åen ({locale})", wall["themes"]))
    visit(page, f"/workshops/{wall['workshop_id']}/wall?lang={locale}")
    assert page.get_attribute("html", "lang") == locale
    expect(page.locator(".wall-code")).to_have_count(1)
    expect(page.locator(".wall-qr svg")).to_have_count(1)
    _live(page)
    cards = page.locator(".wall-card").count()
    expect(page.locator("#wall-count")).to_contain_text(str(cards))
    assert_accessible(page)
    screenshot(page, f"wall-workshop-{locale}", full_page=False)
    visit(page, f"/events/{wall['slug']}/wall?lang={locale}")
    _live(page)
    screenshot(page, f"wall-event-{locale}", full_page=False)


def test_the_reduced_motion_switch(page: Page, wall):
    visit(page, f"/workshops/{wall['workshop_id']}/wall?lang=da")
    switch = page.locator("#wall-motion")
    # The browser asks for reduced motion (the test context does): the switch starts on.
    expect(switch).to_have_attribute("aria-pressed", "true")
    expect(page.locator("body")).to_have_class("wall-page reduce-motion")
    switch.focus()
    page.keyboard.press("Enter")
    expect(switch).to_have_attribute("aria-pressed", "false")
    assert "reduce-motion" not in (page.get_attribute("body", "class") or "")
    page.reload()
    expect(page.locator("#wall-motion")).to_have_attribute("aria-pressed", "false")  # remembered
    page.locator("#wall-motion").click()
    expect(page.locator("#wall-motion")).to_have_attribute("aria-pressed", "true")
    assert_accessible(page)


# A stream that opens, sends its snapshot and then never says another word: a connection that died without
# closing. The first one also shortens the page's patience to a second.
_SILENT_STREAMS = """
window.__streams = [];
window.EventSource = function (url) {
  var stream = this, listeners = {};
  stream.url = url;
  stream.readyState = 0;
  window.__streams.push(stream);
  if (window.__streams.length === 1) { document.body.setAttribute("data-silence-seconds", "1"); }
  stream.addEventListener = function (name, listener) { (listeners[name] = listeners[name] || []).push(listener); };
  stream.close = function () { stream.readyState = 2; };
  function fire(name, data) {
    if (stream.readyState === 2) { return; }
    (listeners[name] || []).forEach(function (listener) { listener({target: stream, data: data}); });
  }
  window.setTimeout(function () {
    stream.readyState = 1;
    fire("open", "");
    fire("snapshot", JSON.stringify({items: []}));
  }, 0);
};
window.EventSource.CLOSED = 2;
"""


def test_a_stream_gone_silent_is_dropped_and_opened_again(page: Page, wall):
    page.add_init_script(_SILENT_STREAMS)
    visit(page, f"/workshops/{wall['workshop_id']}/wall?lang=en")
    _live(page)
    deadline = time.monotonic() + 5
    while page.evaluate("() => window.__streams.length") < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    states = page.evaluate("() => window.__streams.map(stream => stream.readyState)")
    assert len(states) >= 2, states
    assert states[0] == 2  # the silent one is closed, not left open
    assert sum(state != 2 for state in states) == 1
    _live(page)


def test_without_javascript_the_wall_reloads_itself(browser: Browser, server: str, wall, announcer):
    context = browser.new_context(base_url=server, java_script_enabled=False, locale="da-DK")
    try:
        page = context.new_page()
        # The same markup as with JavaScript (checked by axe-core above); no axe run here, as the page may
        # reload itself while it runs.
        response = page.goto(f"/workshops/{wall['workshop_id']}/wall")
        assert response is not None and response.status == 200
        expect(page.locator("#wall-motion")).to_be_hidden()  # the switch needs JavaScript
        announcer.run(_capture(wall["workshop_id"], "Seen after the next reload", []))
        expect(page.locator(".wall-card", has_text="Seen after the next reload")).to_be_visible(timeout=15_000)
    finally:
        context.close()


async def _capture_many(workshop_id: int, texts: list[str]) -> None:
    from feedback.capture import services
    from feedback.tables import InputSource

    context = await services.load_workshop(workshop_id)
    drafts = services.parse_batch(
        [{"client_id": str(uuid.uuid4()), "text": text, "kind": "idea", "language": "da"} for text in texts], context
    )
    await services.capture(context, drafts, source=InputSource.facilitator)


def test_the_type_fits_itself_to_the_screen(page: Page, announcer):
    """Large type while there is little input; as input arrives the type shrinks (never below 0.7 of the base)
    so that the wall fits the screen."""
    fresh = announcer.run(_make_wall())
    page.set_viewport_size({"width": 1280, "height": 720})
    visit(page, f"/workshops/{fresh['workshop_id']}/wall?lang=en")
    _live(page)

    def scale() -> float:
        return float(page.evaluate("() => document.body.style.getPropertyValue('--wall-scale') || '0'"))

    def fits() -> bool:
        return page.evaluate("() => document.documentElement.scrollHeight <= window.innerHeight")

    announcer.run(_capture_many(fresh["workshop_id"], ["Flere bænke ved åen"]))
    expect(page.locator(".wall-card")).to_have_count(1)
    page.wait_for_function("() => new Promise(done => requestAnimationFrame(() => done(true)))")
    one_item = scale()
    assert fits() and one_item > 1, "one item: type larger than the base, and it fits"

    texts = [f"Forslag nummer {number}: bedre belysning og flere bænke langs stien til skolen" for number in range(40)]
    announcer.run(_capture_many(fresh["workshop_id"], texts))
    expect(page.locator(".wall-card")).to_have_count(41)
    page.wait_for_function("() => new Promise(done => requestAnimationFrame(() => done(true)))")
    assert 0.7 <= scale() < one_item
    assert fits() or scale() == 0.7, "the wall fits the screen, or scrolls only at the smallest type"
