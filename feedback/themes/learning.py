"""Learning from confirmed tags: the worker retrains a policy's model when its tags changed (a new tag, or one
removed), and stores it in ``theme_model`` with a new version; servers pick it up on their next suggestion.
Never run in a request."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from piccolo.query.functions.aggregate import Count, Max

from feedback.tables import InputStatus, InputTag, Policy, Theme, ThemeModel
from samrad.core import db
from samrad.core.clock import now_utc
from samrad.core.settings import Settings

if TYPE_CHECKING:
    from feedback.themes.ranking import Example


async def _tag_state(policy_id: int) -> tuple[int, int]:
    row = await InputTag.select(Count(InputTag.id, alias="n"), Max(InputTag.id, alias="last")).where(
        InputTag.theme.policy == policy_id).first()
    return row["n"] or 0, row["last"] or 0


async def examples(policy_id: int) -> list[Example]:
    """Every confirmed tag of the policy with its item's text (merged items left out: their text lives on in
    the item they were folded into)."""
    from feedback.themes.ranking import Example  # the engine loads on first use

    rows = await InputTag.select(
        InputTag.theme, InputTag.input_item.text.as_alias("text"), InputTag.input_item.language.as_alias("language"),
    ).where((InputTag.theme.policy == policy_id) & (InputTag.input_item.status != InputStatus.merged.value)) \
        .order_by(InputTag.id)
    return [Example(row["text"], row["language"], row["theme"]) for row in rows if row["text"]]


async def retrain(policy_id: int) -> bool:
    """Train and store the policy's model if its tags changed since the last training; True when it did."""
    from feedback.themes.ranking import LearnedModel, ThemeInfo  # the engine loads on first use

    labels, last_tag_id = await _tag_state(policy_id)
    stored = await ThemeModel.select(ThemeModel.labels, ThemeModel.last_tag_id).where(
        ThemeModel.policy == policy_id).first()
    if stored is not None and (stored["labels"], stored["last_tag_id"]) == (labels, last_tag_id):
        return False
    theme_rows = await Theme.select(
        Theme.id, Theme.parent, Theme.code, Theme.name, Theme.description, Theme.keywords,
    ).where(Theme.policy == policy_id).output(load_json=True)
    themes = [ThemeInfo(r["id"], r["code"], r["parent"], r["name"] or {}, r["description"] or {},
                        r["keywords"] or {}) for r in theme_rows]
    model = LearnedModel.train(await examples(policy_id), themes)
    data = model.to_bytes() if model is not None else None
    async with db.atomic():
        if stored is None:
            await ThemeModel.insert(ThemeModel(policy=policy_id, version=1, labels=labels, last_tag_id=last_tag_id,
                                               data=data, trained_at=now_utc())) \
                .on_conflict(target=ThemeModel.policy, action="DO NOTHING")
        else:
            await ThemeModel.update({
                ThemeModel.version: ThemeModel.version + 1, ThemeModel.labels: labels,
                ThemeModel.last_tag_id: last_tag_id, ThemeModel.data: data, ThemeModel.trained_at: now_utc(),
            }).where(ThemeModel.policy == policy_id)
    return True


async def learning_job(_now: datetime, _settings: Settings, _provided: Mapping[str, Any]) -> dict[str, int]:
    """The worker's job: retrain every policy whose confirmed tags changed."""
    trained = 0
    for row in await Policy.select(Policy.id).order_by(Policy.id):
        trained += await retrain(row["id"])
    return {"theme_models_trained": trained}
