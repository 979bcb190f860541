"""Theme trees: at most three levels, moving keeps input, archive instead of delete, order, colour contrast."""

from __future__ import annotations

import pytest
from registration_support import make_event
from themes_support import make_policy, make_tree, theme_fields

from feedback.tables import InputItem, InputTag, Theme
from feedback.themes import services
from feedback.themes.services import ThemeError
from feedback.themes.taxonomy import colour_error
from samrad.core.contrast import contrast_ratio, readable_background, text_colour


async def levels(policy_id: int) -> dict[str, int]:
    return {row["code"]: row["level"] for row in await Theme.select(Theme.code, Theme.level).where(
        Theme.policy == policy_id)}


async def tag(theme_id: int) -> int:
    event = await make_event()
    item = InputItem(event=event["id"], text="Better lighting on the path")
    await item.save()
    await InputTag(input_item=item.id, theme=theme_id, tag_key=f"{item.id}:{theme_id}").save()
    return item.id


async def test_a_fourth_level_is_refused():
    ids = await make_tree()
    with pytest.raises(ThemeError) as refused:
        await services.create_theme(ids["policy"], ids["A1a"], theme_fields("A1a-x"), "test")
    assert "parent" in refused.value.errors
    assert await levels(ids["policy"]) == {"A": 1, "A1": 2, "A1a": 3, "B": 1}


async def test_codes_are_unique_within_a_policy_but_not_across_policies():
    ids = await make_tree()
    with pytest.raises(ThemeError) as refused:
        await services.create_theme(ids["policy"], None, theme_fields("B"), "test")
    assert "code" in refused.value.errors
    other = await make_policy()
    assert await services.create_theme(other, None, theme_fields("B"), "test")


async def test_moving_a_theme_takes_its_subtree_and_input_and_keeps_the_depth_rule():
    ids = await make_tree()
    item_id = await tag(ids["A1a"])
    await services.reparent_theme(ids["A1"], ids["B"], "test")
    assert await levels(ids["policy"]) == {"A": 1, "A1": 2, "A1a": 3, "B": 1}
    moved = await Theme.select(Theme.parent).where(Theme.id == ids["A1"]).first()
    assert moved["parent"] == ids["B"]
    assert await InputTag.exists().where((InputTag.input_item == item_id) & (InputTag.theme == ids["A1a"]))

    await services.reparent_theme(ids["A1"], None, "test")  # to the top: everything moves up a level
    assert await levels(ids["policy"]) == {"A": 1, "A1": 1, "A1a": 2, "B": 1}


async def test_a_move_that_would_make_four_levels_or_a_circle_is_refused():
    ids = await make_tree()
    with pytest.raises(ThemeError):  # A (with two levels below) under B would reach level 4
        await services.reparent_theme(ids["A"], ids["B"], "test")
    with pytest.raises(ThemeError):
        await services.reparent_theme(ids["A"], ids["A1a"], "test")
    assert await levels(ids["policy"]) == {"A": 1, "A1": 2, "A1a": 3, "B": 1}


async def test_moving_up_and_down_swaps_places_among_siblings():
    ids = await make_tree()
    await services.move_theme(ids["B"], "up", "test")
    order = [row["code"] for row in await services.tree(ids["policy"]) if row["depth"] == 1]
    assert order == ["B", "A"]
    await services.move_theme(ids["B"], "up", "test")  # already first: nothing changes
    await services.move_theme(ids["B"], "down", "test")
    assert [row["code"] for row in await services.tree(ids["policy"]) if row["depth"] == 1] == ["A", "B"]


async def test_a_theme_with_input_is_archived_never_deleted():
    ids = await make_tree()
    await tag(ids["B"])
    with pytest.raises(ThemeError):
        await services.delete_theme(ids["B"], "test")
    with pytest.raises(ThemeError):  # has sub-themes
        await services.delete_theme(ids["A1"], "test")
    assert await services.archive_theme(ids["A"], "test") == 3  # with its sub-themes
    archived = await Theme.select(Theme.code).where(Theme.archived_at.is_not_null())
    assert sorted(row["code"] for row in archived) == ["A", "A1", "A1a"]
    await services.archive_theme(ids["A"], "test", archive=False)
    assert not await Theme.exists().where(Theme.archived_at.is_not_null())


async def test_a_theme_without_input_may_be_deleted():
    ids = await make_tree()
    await services.delete_theme(ids["A1a"], "test")
    assert await levels(ids["policy"]) == {"A": 1, "A1": 2, "B": 1}


async def test_contrast_helper_follows_wcag():
    assert round(contrast_ratio("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast_ratio("#1f5f8b", "#ffffff"), 2) == 6.84
    assert text_colour("#1f5f8b") == "#ffffff"
    assert text_colour("#ffeb3b") == "#000000"
    assert readable_background("#777777")  # black text reaches 4.69:1 on it


async def test_a_colour_must_be_rrggbb_and_readable():
    assert colour_error("#1f5f8b") is None
    for bad in ("blue", "#12345", "#1234567", "1f5f8b", "#ggg000"):
        assert colour_error(bad)
