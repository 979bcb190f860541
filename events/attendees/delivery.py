"""Emails that could not be delivered, for the registrations desk.

The worker marks a message ``failed`` when the mail server refuses its address for good (a 5xx answer: no such
mailbox) or after ``SAMRAD_MAIL_MAX_ATTEMPTS`` tries (``samrad.core.mail``); it is never tried again. The person
then has no confirmation, ticket or link, and only an organiser can find that out: the participant list marks
each such registration and counts them, and the registration's page says so above its email history.

The registration and the event are read from the message's intent (``events.messaging.notifications`` and
``events.attendees.messaging`` write both), in SQL: failed rows are few and the status is indexed.
"""

from __future__ import annotations

from piccolo.querystring import QueryString

from samrad.core import db
from samrad.core.tables import OutboxStatus

# Failed emails about one registration (notices and organisers' messages, ``notice.*`` and ``attendees.*``), by
# registration, for one event.
_SQLITE = """SELECT CAST(json_extract(intent, '$.registration') AS INTEGER) AS registration, count(*) AS failed
FROM outbox_message WHERE status = {} AND (kind LIKE 'notice.%' OR kind LIKE 'attendees.%')
  AND json_extract(intent, '$.event') = {}
GROUP BY 1"""
_POSTGRES = """SELECT (intent->>'registration')::integer AS registration, count(*) AS failed
FROM outbox_message WHERE status = {} AND (kind LIKE 'notice.%' OR kind LIKE 'attendees.%')
  AND (intent->>'event')::integer = {}
GROUP BY 1"""


async def undelivered(event_id: int) -> dict[int, int]:
    """Registration id -> how many emails to it could not be delivered, for the event's registrations."""
    sql = _SQLITE if db.is_sqlite() else _POSTGRES
    found = await db.engine().run_querystring(QueryString(sql, OutboxStatus.failed.value, event_id))
    return {row["registration"]: row["failed"] for row in found if row["registration"] is not None}
