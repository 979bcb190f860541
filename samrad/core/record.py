"""``/privacy/record``: the record of processing (docs/record-of-processing.md), public, linked from the privacy
notice.

The page shows the file itself, so it says what the code does (``tests/test_record_of_processing.py`` holds the
two together). Markdown is rendered without raw HTML: anything in the file that looks like a tag is shown as text,
and ``javascript:``, ``vbscript:``, ``file:`` and ``data:`` links are not made (markdown-it's ``validateLink``).
"""

from __future__ import annotations

from functools import cache

from litestar import get
from litestar.response import Template
from markdown_it import MarkdownIt
from markupsafe import Markup

from samrad.core.settings import ROOT

RECORD = ROOT / "docs" / "record-of-processing.md"


def render(text: str) -> Markup:
    """Markdown (with tables) as HTML; raw HTML in it comes out escaped. Each table scrolls sideways on its own on
    a narrow screen, and can be scrolled with the keyboard (it takes the focus)."""
    markdown = MarkdownIt("js-default")
    markdown.add_render_rule("table_open", lambda *_args: '<div class="table-wrap" tabindex="0">\n<table>\n')
    markdown.add_render_rule("table_close", lambda *_args: "</table>\n</div>\n")
    return Markup(markdown.render(text))  # noqa: S704 - raw HTML off: markdown-it escapes it


@cache
def record_html() -> Markup:
    """The record as HTML, without its own first heading (the page has a translated one)."""
    text = RECORD.read_text(encoding="utf-8")
    if text.startswith("# "):
        text = text.partition("\n")[2]
    return render(text)


@get("/privacy/record", name="privacy_record", sync_to_thread=False, include_in_schema=False)
def privacy_record() -> Template:
    return Template(template_name="pages/record.html", context={"record": record_html()})
