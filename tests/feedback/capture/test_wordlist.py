"""The word lists hold input for a moderator: whole words in any of the three languages (a trailing * matches
any ending), email addresses and phone numbers; ordinary input passes."""

from __future__ import annotations

import pytest

from feedback.capture.wordlist import needs_review


@pytest.mark.parametrize(
    "text",
    ["Chefen er en IDIOT", "Sikke nogle idioter", "Det är en jävla skandal", "What a stupid plan",
     "Skriv til anna@example.org", "Ring på 12 34 56 78", "Call +45 70 00 00 00"],
)
async def test_listed_words_and_contact_details_are_held(text):
    assert needs_review(text)


@pytest.mark.parametrize(
    "text",
    ["Bedre belysning på stien langs Gudenåen", "Trygghetsvandringar med unga", "Class of 2024 wants more benches",
     "Shitake-svampe i kantinen"],
)
async def test_ordinary_input_passes(text):
    assert not needs_review(text)
