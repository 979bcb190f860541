"""The demo's input goes through the capture and moderation services: every conference workshop has input in
Danish, Swedish and English from facilitators and participants, one item waits because of the word list, one
was merged, one was edited for anonymity; the dialogue meeting keeps its input."""

from __future__ import annotations

from feedback.tables import InputItem, InputRevision
from samrad.demo import load_demo
from workshops.tables import Workshop


async def test_the_demo_workshops_have_captured_input(capsys):
    assert await load_demo(only_if_empty=False) == 0
    capsys.readouterr()
    items = await InputItem.select().where(InputItem.workshop.is_not_null())
    workshops = await Workshop.select(Workshop.id)
    assert {row["id"] for row in workshops} == {item["workshop"] for item in items}
    assert {item["language"] for item in items} == {"da", "sv", "en"}
    assert {item["source"] for item in items} == {"facilitator", "participant"}
    held = [item for item in items if item["status"] == "held"]
    assert [item["source"] for item in held] == ["participant"] and "idiot" in held[0]["text"]
    merged = [item for item in items if item["status"] == "merged"]
    assert len(merged) == 1 and merged[0]["merged_into"] is not None
    assert await InputRevision.count().where(InputRevision.action == "anonymise") == 1
    assert not [item for item in items if "Mette" in item["text"]]
    assert all(item["created_at"].second == 0 for item in items)
    assert await InputItem.count().where(InputItem.workshop.is_null()) == 12
