"""Words that hold a participant's input for a moderator instead of publishing it.

One list per language (``wordlists/{da,sv,en}.txt``, one word a line, ``#`` starts a comment, a trailing ``*``
matches any ending). Input is checked against the lists of every language: people write in the language they
like, whatever the page's. A hit never rejects the input, it only waits for a person to look at it. Email
addresses and phone numbers are held as well: they could name someone.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from samrad.core.settings import LOCALES

WORDLIST_DIR = Path(__file__).parent / "wordlists"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"(?:\+\d{1,3}[\s-]?)?(?:\d[\s-]?){8,}")


@cache
def _pattern() -> re.Pattern[str]:
    alternatives = []
    for locale in LOCALES:
        path = WORDLIST_DIR / f"{locale}.txt"
        for line in path.read_text(encoding="utf-8").splitlines():
            word = line.split("#", 1)[0].strip().casefold()
            if not word:
                continue
            if word.endswith("*"):
                alternatives.append(re.escape(word[:-1]) + r"\w*")
            else:
                alternatives.append(re.escape(word))
    return re.compile(r"(?<!\w)(?:" + "|".join(sorted(set(alternatives))) + r")(?!\w)")


def needs_review(text: str) -> bool:
    """True when the text holds a listed word, an email address or a phone number."""
    folded = text.casefold()
    return bool(_pattern().search(folded) or _EMAIL.search(text) or _PHONE.search(text))
