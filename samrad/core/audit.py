"""The audit trail: who did what to which subject, never with a registrant's personal data in its text."""

from __future__ import annotations

from samrad.core.tables import AuditEntry


async def record(actor: str, action: str, subject: str, count: int = 1) -> None:
    """Write one entry inside the caller's transaction, so the trail and the change commit together.

    ``actor`` is a staff email, ``participant`` or ``system``; ``subject`` names a row (``event:12``).
    """
    await AuditEntry.insert(AuditEntry(actor=actor, action=action, subject=subject, count=count))
