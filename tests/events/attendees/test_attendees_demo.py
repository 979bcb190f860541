"""The demo shows the back office at work: people who phoned in, people checked in, a message to a group."""

from __future__ import annotations

from events.attendees.messaging import MAIL_KIND
from events.tables import Registration
from samrad.core.tables import AuditEntry, OutboxMessage
from samrad.demo import load_demo


async def test_the_demo_has_phone_ins_check_ins_and_a_group_message(capsys):
    assert await load_demo(only_if_empty=False) == 0
    capsys.readouterr()
    phoned = await Registration.select(Registration.name).where(Registration.added_by_staff.eq(True))
    assert len(phoned) == 3
    assert len(await AuditEntry.select(AuditEntry.id).where(AuditEntry.action == "registration.add_by_staff")) == 3
    assert await Registration.count().where(Registration.checked_in_at.is_not_null()) >= 5
    messages = await OutboxMessage.select(OutboxMessage.intent).where(OutboxMessage.kind == MAIL_KIND).output(
        load_json=True
    )
    assert messages and {message["intent"]["locale"] for message in messages} <= {"sv", "en"}
    entry = await AuditEntry.select().where(AuditEntry.action == "registration.message_group").first()
    assert entry["count"] == len(messages)
