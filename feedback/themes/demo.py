"""Theme suggestions in the demo: the organiser says the conference works on the whole Randers policy and the
CEMR charter's service areas (the event themes page); a facilitator then goes through the conference workshops'
input and accepts the best suggestion where it names a theme the item does not have yet (recorded as an accepted
suggestion with its rank and score, as capture does); then the worker's learning runs once, so suggestions start
from what people confirmed. Runs in the last round, after the workshops' input was captured."""

from __future__ import annotations

from typing import Any

from feedback import links, tagging
from feedback.tables import InputItem, Policy, TagChoice, Theme
from feedback.themes.learning import retrain
from feedback.themes.suggestions import suggest_for_themes
from samrad.core import db

ACCEPTED_AT_MOST = 8


async def accept_suggestions(demo: dict[str, Any]) -> None:
    await _conference_themes(demo)
    items = await InputItem.select(InputItem.id, InputItem.event, InputItem.workshop, InputItem.text,
                                   InputItem.language).where(InputItem.workshop.is_not_null()) \
        .order_by(InputItem.id)
    tags = await tagging.tags_of([item["id"] for item in items])
    accepted = 0
    for item in items:
        if accepted == ACCEPTED_AT_MOST:
            break
        allowed = await tagging.allowed_theme_ids(item["event"], item["workshop"])
        offered = await suggest_for_themes(sorted(allowed), item["text"], item["language"])
        fresh = [(rank, s) for rank, s in enumerate(offered, start=1) if s.theme_id not in tags[item["id"]]]
        if not fresh:
            continue
        rank, suggestion = fresh[0]
        async with db.atomic():
            await tagging.set_tags(item["id"], [*tags[item["id"]], suggestion.theme_id], chosen=TagChoice.person,
                                   suggestions={suggestion.theme_id: (rank, suggestion.score)})
        accepted += 1
    for policy in await Policy.select(Policy.id):
        await retrain(policy["id"])


async def _conference_themes(demo: dict[str, Any]) -> None:
    """The conference (the event of the demo's workshops) works on these themes, besides its workshops' own."""
    workshop_id = next(iter(demo["workshops"].values()))
    event_id = (await InputItem.select(InputItem.event).where(InputItem.workshop == workshop_id).first())["event"]
    wanted = []
    for code, prefix in (("randers-koensligestilling", ""), ("cemr-charter", "SER")):
        rows = await Theme.select(Theme.id, Theme.code).where(Theme.policy.code == code).order_by(Theme.id)
        wanted += [row["id"] for row in rows if row["code"].startswith(prefix)]
    await links.set_event_themes(event_id, sorted(set(await links.event_themes(event_id)) | set(wanted)))
