"""Helpers every area's demo data uses: translated text, local wall-clock times and the demo mail domain.

Kernel code, so each area's ``demo`` module can share them without importing another area.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

# Demo staff accounts and organiser addresses; no mail to this domain can reach anyone.
DEMO_EMAIL_DOMAIN = "demo.samrad.local"


def t(da: str, sv: str, en: str) -> dict[str, str]:
    """A translatable content field."""
    return {"da": da, "sv": sv, "en": en}


def at(day: date, hour: int, minute: int, zone: str) -> datetime:
    """A local wall-clock time in ``zone``, stored as aware UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(UTC)
