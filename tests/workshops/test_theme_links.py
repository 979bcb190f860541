"""The themes a workshop or an event works on, kept by the feedback area and offered to the workshop pages
(``feedback.links``, provided as ``theme_links``)."""

from __future__ import annotations

import pytest
from registration_support import make_workshop
from workshop_support import conference, make_themes

from feedback.links import ThemeLinkService
from feedback.tables import EventTheme, Policy, Theme, WorkshopTheme
from samrad.areas import provided
from workshops.contracts import UnknownThemes

links = ThemeLinkService()


async def test_the_feedback_area_provides_the_theme_links_and_the_workshop_input():
    offered = provided()
    assert isinstance(offered["theme_links"], ThemeLinkService)
    assert hasattr(offered["workshop_input"], "keep_without_workshop")


async def test_options_are_the_active_themes_as_a_tree_per_policy_in_position_order():
    ids = await make_themes()
    other = Policy(code="other", kind="areas", name={"en": "Areas"})
    await other.save()
    await Theme(policy=other.id, level=1, code="B", name={"en": "Second"}, position=2, theme_key=f"{other.id}:B").save()
    await Theme(policy=other.id, level=1, code="A", name={"en": "First"}, position=1, theme_key=f"{other.id}:A").save()
    await Policy(code="empty", kind="areas", name={"en": "Nothing yet"}).save()

    options = await links.options()
    assert [policy.name["en"] for policy in options] == ["Equality policy", "Areas"], "policies without themes go"
    equality, areas = options
    assert [(t.code, [c.code for c in t.children]) for t in equality.themes] == [("T1", ["T1.1"]), ("T2", [])]
    assert [t.code for t in areas.themes] == ["A", "B"]
    assert not any(t.archived for t in equality.themes)
    kept = await links.options(keep=[ids["T9"]])
    assert [t.code for t in kept[0].themes] == ["T1", "T2", "T9"] and kept[0].themes[2].archived


async def test_a_workshops_themes_are_set_and_replaced_as_a_whole():
    ids = await make_themes()
    event = await conference()
    workshop_id, other_id = await make_workshop(event["id"]), await make_workshop(event["id"])
    await links.set_workshop_themes(workshop_id, [ids["T1"], ids["T1.1"], ids["T1"]])
    await links.set_workshop_themes(workshop_id, [ids["T1"], ids["T1.1"]])  # again: nothing doubles
    assert await WorkshopTheme.count() == 2
    await links.set_workshop_themes(workshop_id, [ids["T2"], ids["T1.1"]])
    found = await links.workshop_themes([workshop_id, other_id])
    assert sorted(found[workshop_id]) == sorted([ids["T2"], ids["T1.1"]]) and found[other_id] == []
    keys = {row["link_key"] for row in await WorkshopTheme.select(WorkshopTheme.link_key)}
    assert keys == {f"{workshop_id}:{ids['T2']}", f"{workshop_id}:{ids['T1.1']}"}
    await links.set_workshop_themes(workshop_id, [])
    assert await WorkshopTheme.count() == 0


async def test_archived_and_unknown_themes_cannot_be_linked_but_an_existing_link_may_stay():
    ids = await make_themes()
    event = await conference()
    workshop_id = await make_workshop(event["id"])
    for bad in ([ids["T9"]], [999_999], [ids["T1"], 999_999]):
        with pytest.raises(UnknownThemes):
            await links.set_workshop_themes(workshop_id, bad)
        with pytest.raises(UnknownThemes):
            await links.set_event_themes(event["id"], bad)
    assert await WorkshopTheme.count() == 0 and await EventTheme.count() == 0
    await WorkshopTheme(workshop=workshop_id, theme=ids["T9"], link_key=f"{workshop_id}:{ids['T9']}").save()
    await links.set_workshop_themes(workshop_id, [ids["T9"], ids["T2"]])
    assert sorted((await links.workshop_themes([workshop_id]))[workshop_id]) == sorted([ids["T9"], ids["T2"]])


async def test_an_events_themes_are_set_and_read():
    ids = await make_themes()
    event = await conference()
    await links.set_event_themes(event["id"], [ids["T2"], ids["T1"]])
    assert await links.event_themes(event["id"]) == [ids["T2"], ids["T1"]]
    await links.set_event_themes(event["id"], [ids["T1"]])
    assert await links.event_themes(event["id"]) == [ids["T1"]]
    rows = await EventTheme.select(EventTheme.link_key)
    assert [row["link_key"] for row in rows] == [f"{event['id']}:{ids['T1']}"]
