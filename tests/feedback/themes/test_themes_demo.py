"""The demo's themes come through the themes services: the three built-in taxonomies, event themes, tags chosen
by people and suggestions people accepted (with rank and score), and a model learned from them."""

from __future__ import annotations

from feedback.tables import EventTheme, InputTag, Policy, TagChoice, ThemeModel
from samrad.demo import load_demo


async def test_the_demo_has_taxonomies_event_themes_and_confirmed_tags(capsys):
    assert await load_demo(only_if_empty=False) == 0
    capsys.readouterr()
    codes = {row["code"] for row in await Policy.select(Policy.code)}
    assert codes == {"randers-koensligestilling", "cemr-charter", "lerum-omraden"}
    assert await EventTheme.count() > 0
    tags = await InputTag.select()
    assert {TagChoice.person.value, TagChoice.suggestion.value} <= {tag["chosen"] for tag in tags}
    accepted = [tag for tag in tags if tag["chosen"] == TagChoice.suggestion.value]
    assert all(tag["suggestion_rank"] in (1, 2, 3) and 0 < tag["suggestion_score"] <= 1 for tag in accepted)
    assert await ThemeModel.count().where(ThemeModel.data.is_not_null()) >= 1
