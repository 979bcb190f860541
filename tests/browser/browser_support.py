"""Helpers for the browser tests: axe-core checks, keyboard navigation, focus, screenshots, reflow.

Every page a test opens goes through ``visit()`` (or ``assert_accessible()`` after a keyboard action that
navigates), which runs axe-core with the WCAG 2.0/2.1 A and AA and WCAG 2.2 AA rules and fails with a readable
list of violations.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from axe_playwright_python.base import AXE_FILE_PATH
from playwright.sync_api import Page, Response

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_SOURCE = Path(AXE_FILE_PATH).read_text(encoding="utf-8")
SCREENSHOTS = Path(os.environ.get("SAMRAD_SCREENSHOT_DIR", Path(tempfile.gettempdir()) / "samrad-screenshots"))
LOCALES = ("da", "sv", "en")

# Staff accounts the browser tests log in with (created by the `staff` fixture, not by the demo).
CHECKIN_EMAIL = "door@browser.test"
CHECKIN_PASSWORD = "door-password-for-browser-tests"
ADMIN_EMAIL = "office@browser.test"
ADMIN_PASSWORD = "office-password-for-browser-tests"

# The browser servers' rate limits: every test registers and logs in several times from 127.0.0.1. The limiters
# themselves (and their defaults) are tested over HTTP in tests/test_security.py and the registration tests.
RELAXED_RATE_LIMITS = {
    "SAMRAD_RATE_LIMIT_REGISTRATIONS": "10000/minute",
    "SAMRAD_RATE_LIMIT_API": "10000/minute",
    "SAMRAD_RATE_LIMIT_LOGIN": "10000/minute",
    "SAMRAD_RATE_LIMIT_LOGIN_ACCOUNT": "10000/minute",
}


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"][:8]:
            lines.append(f"    at {', '.join(map(str, node['target']))}")
            lines.append(f"       {node['html'][:200]}")
            summary = node.get("failureSummary", "").replace("\n", " ")
            if summary:
                lines.append(f"       {summary[:300]}")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """axe-core on the page as it is now: zero WCAG 2.0/2.1 A+AA and 2.2 AA violations."""
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html, failureSummary: n.failureSummary}))}));
        }""",
        AXE_TAGS,
    )
    assert not result, f"axe-core found {len(result)} accessibility violation(s) on {page.url}:\n{_describe(result)}"


def visit(page: Page, url: str, status: int = 200) -> Response:
    """Open ``url``, check the HTTP status, and run axe-core on the page."""
    response = page.goto(url)
    assert response is not None, f"no response for {url}"
    assert response.status == status, f"{url} answered {response.status}, expected {status}"
    assert_accessible(page)
    return response


def focused(page: Page) -> dict[str, Any]:
    """What has the keyboard focus: tag, type, id, name, text, and how its focus is drawn."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body) return {tag: 'body'};
            const style = getComputedStyle(el);
            return {tag: el.tagName.toLowerCase(), type: el.type || '', id: el.id, name: el.name || '',
                    text: (el.innerText || el.value || '').trim().slice(0, 80), href: el.getAttribute('href') || '',
                    outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth) || 0,
                    boxShadow: style.boxShadow};
        }"""
    )


def tab_to(page: Page, selector: str, *, limit: int = 120, backwards: bool = False) -> dict[str, Any]:
    """Press Tab (or Shift+Tab) until the element matching ``selector`` has the focus; fail after ``limit``."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return focused(page)
    raise AssertionError(f"{selector!r} never got the focus after {limit} presses of {key}")


def focus_is_visible(state: dict[str, Any]) -> bool:
    return (state.get("outlineStyle") not in (None, "none") and state.get("outlineWidth", 0) >= 2) or (
        state.get("boxShadow") not in (None, "none")
    )


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def has_horizontal_scroll(page: Page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth > document.documentElement.clientWidth")
