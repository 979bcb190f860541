"""The kernel's helpers for hot paths: prepared statements (``db.Statement``), counts logged once a period
(``tally.Tally``), the session cookie written without Litestar's ``Cookie`` and the security headers added in
one pass. Each must behave exactly as the slower way it replaces."""

from __future__ import annotations

import asyncio
import logging
import re

import public_support
from litestar.datastructures import Cookie

from samrad.core import db
from samrad.core.tally import Tally

settings = public_support.settings

LINE = re.compile(r"^registrations \d\d:\d\d:\d\d–\d\d:\d\d:\d\d UTC: (.*)$")


# --- prepared statements ----------------------------------------------------------------------------------

async def test_a_statement_runs_in_the_callers_transaction_like_a_query_string():
    from samrad.core.clock import now_utc
    from samrad.core.tables import AuditEntry

    insert = db.Statement("INSERT INTO audit_entry (at, actor, action, subject, count) VALUES ({}, {}, {}, {}, {})")
    read = db.Statement("SELECT action FROM audit_entry WHERE actor = {} ORDER BY id", instant=True)

    async with db.atomic():
        await insert.run(now_utc(), "statement-test", "test.kept", "", 0)
    try:
        async with db.atomic():
            await insert.run(now_utc(), "statement-test", "test.rolled_back", "", 0)
            raise RuntimeError("roll back")
    except RuntimeError:
        pass

    assert [row["action"] for row in await read.run("statement-test")] == ["test.kept"]
    assert len(await AuditEntry.select(AuditEntry.id).where(AuditEntry.actor == "statement-test")) == 1
    assert "'statement-test'" in str(read.bind("statement-test")), "shown with its values, as Piccolo shows SQL"


async def test_a_statement_is_compiled_for_each_engine():
    statement = db.Statement("SELECT {} FROM t WHERE a = {} AND b = {}")

    assert statement.compiled("sqlite") == "SELECT ? FROM t WHERE a = ? AND b = ?"
    assert statement.compiled("postgres") == "SELECT $1 FROM t WHERE a = $2 AND b = $3"


# --- counts logged once a period --------------------------------------------------------------------------

def _lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "samrad.test.tally"]


async def test_counts_are_one_line_per_period_not_one_per_event(caplog):
    caplog.set_level(logging.INFO, logger="samrad.test.tally")
    tally = Tally(logging.getLogger("samrad.test.tally"), "registrations", period=3600)

    for status in ("confirmed", "waitlisted", "confirmed"):
        tally.add(status)
    assert _lines(caplog) == []

    tally.flush()
    [line] = _lines(caplog)
    assert LINE.match(line).group(1) == "confirmed 2, waitlisted 1"
    tally.flush()
    assert len(_lines(caplog)) == 1, "nothing counted since: nothing logged"


async def test_the_first_event_after_the_period_writes_the_line(caplog):
    caplog.set_level(logging.INFO, logger="samrad.test.tally")
    tally = Tally(logging.getLogger("samrad.test.tally"), "registrations", period=0)

    tally.add("confirmed")
    tally.add("waitlisted")

    [line] = _lines(caplog)
    assert LINE.match(line).group(1) == "confirmed 1", "the second event starts the next period"


async def test_a_quiet_period_is_logged_by_its_timer(caplog):
    caplog.set_level(logging.INFO, logger="samrad.test.tally")
    tally = Tally(logging.getLogger("samrad.test.tally"), "registrations", period=0.01)

    tally.add("confirmed")
    await asyncio.sleep(0.2)

    [line] = _lines(caplog)
    assert LINE.match(line).group(1) == "confirmed 1"


# --- the session cookie and the frame's headers -----------------------------------------------------------

async def test_the_session_cookie_is_the_one_litestar_would_write(app, client, settings):
    from public_support import make_event, person, post_form

    await make_event("session-cookie", capacity=10)
    response = await post_form(client, "session-cookie", person())
    assert response.status_code == 303, response.text

    [cookie] = [value for value in response.headers.get_list("set-cookie") if value.startswith("samrad_session=")]
    session_id = cookie.split(";")[0].removeprefix("samrad_session=")
    expected = Cookie(
        key="samrad_session", value=session_id, max_age=12 * 3600, path="/", secure=settings.cookie_secure,
        httponly=True, samesite="lax",
    ).to_header(header="")
    assert cookie == expected
    confirmation = await client.get(response.headers["location"])
    assert public_support.MANAGE_PATH.search(confirmation.text), "the session carried the result to the page"


async def test_every_answer_gets_the_security_headers_once(client):
    await public_support.make_event("headers-once", capacity=10)

    for path in ("/events/headers-once", "/events/headers-once", "/no-such-page", "/api/v1/events"):
        response = await client.get(path)
        for name in ("content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy",
                     "permissions-policy", "cross-origin-opener-policy", "strict-transport-security"):
            assert len(response.headers.get_list(name)) == 1, (path, name)
        assert response.headers["x-frame-options"] == "DENY"
