"""How sure a theme suggestion is, said in words beside the suggested theme (capture and moderation show the top
three with it).

A suggestion's score is a similarity blended with what was learned (``feedback.themes.ranking``), not a
probability, so a percentage would mislead ("19 %" for a right answer). The bands come from the labelled
statements (``feedback/themes/data/labelled.json``, Randers policy, cold start): of the suggestions scoring 0.15
or more, 9 in 10 were right; from 0.10, 8 in 10; below that, about half. Nothing under the ranking's threshold is
offered at all.
"""

from __future__ import annotations

from samrad.core.i18n import N_, _

BANDS = (
    (0.15, N_("high confidence")),
    (0.10, N_("medium confidence")),
    (0.0, N_("low confidence")),
)


def confidence(score: float) -> str:
    """The band of ``score``, translated."""
    for threshold, label in BANDS:
        if score >= threshold:
            return _(label)
    return _(BANDS[-1][1])


def bands() -> list[tuple[float, str]]:
    """Every band (lowest score it takes, translated words), best first: for the capture page's script."""
    return [(threshold, _(label)) for threshold, label in BANDS]
