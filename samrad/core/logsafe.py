"""Logging an exception without what it says: its message may quote personal data (an address in an SMTP
answer, a name in a ValueError, a row's values in a database error), and a log is no place for that.

``stack_of`` gives the type and the frames, for each exception of the chain (``raise ... from``, or raised while
handling another); it is what the web frame and the worker log instead of a traceback (``exc_info``).
"""

from __future__ import annotations

import traceback


def stack_of(error: BaseException) -> str:
    """The exception's type and where it was raised, frame by frame, then the same for its causes."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = traceback.extract_tb(current.__traceback__)
        parts.append("\n".join([f"{type(current).__name__}:",
                                *(f"  {f.filename}:{f.lineno} in {f.name}" for f in frames)]))
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "\nraised while handling ".join(parts)
