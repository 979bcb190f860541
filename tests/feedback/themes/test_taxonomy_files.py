"""Taxonomy files: the built-ins, JSON and CSV round trips, and every kind of bad file, with nothing stored."""

from __future__ import annotations

import json

import pytest
from themes_support import make_policy

from feedback.tables import Policy, Theme
from feedback.themes import services, taxonomy
from feedback.themes.taxonomy import TaxonomyError
from samrad.core.i18n import use_locale


async def codes(policy_id: int) -> dict[str, tuple[str | None, int]]:
    rows = await Theme.select(Theme.id, Theme.code, Theme.parent, Theme.level).where(Theme.policy == policy_id)
    by_id = {row["id"]: row["code"] for row in rows}
    return {row["code"]: (by_id.get(row["parent"]), row["level"]) for row in rows}


async def test_the_built_in_taxonomies_load_with_their_shapes():
    randers = await services.load_builtin("randers", "test")
    tree = await codes(randers)
    assert sorted(code for code, (parent, _) in tree.items() if parent is None) == ["R1", "R2", "R3"]
    assert tree["R2.2.1"] == ("R2.2", 3)

    cemr = await codes(await services.load_builtin("cemr", "test"))
    assert sorted(code for code, (parent, _) in cemr.items() if parent == "P") == [f"P{n}" for n in range(1, 7)]
    assert {"N-CYB", "N-VER", "N-INT", "N-FLX", "N-DIG", "N-SRH", "N-CLI", "N-PRE"} <= set(cemr)  # 2022
    assert cemr["SER-GBV"] == ("SER", 3) and cemr["PLA-MOB"] == ("PLA", 3)

    lerum = await codes(await services.load_builtin("lerum", "test"))
    assert len(lerum) == 7 and all(level == 1 for _, level in lerum.values())


async def test_loading_a_built_in_twice_is_refused_and_stores_nothing_more():
    await services.load_builtin("lerum", "test")
    with pytest.raises(TaxonomyError):
        await services.load_builtin("lerum", "test")
    assert await Policy.count() == 1 and await Theme.count() == 7


async def test_json_round_trip_keeps_everything():
    policy_id = await services.load_builtin("randers", "test")
    exported = await services.export_document(policy_id)
    exported["code"] = "randers-copy"
    copy_id = await services.import_taxonomy(taxonomy.read_json(taxonomy.to_json(exported)), "test")
    again = await services.export_document(copy_id)
    assert again == exported
    assert again["themes"][0]["keywords"]["da"]


async def test_csv_round_trip_into_an_empty_policy():
    policy_id = await services.load_builtin("cemr", "test")
    exported = await services.export_document(policy_id)
    data = taxonomy.to_csv(exported["themes"])
    assert data.startswith("\ufeff".encode())
    target = await make_policy()
    count = await services.import_themes(target, taxonomy.read_csv(data), "test")
    assert count == len(await codes(policy_id))
    assert (await services.export_document(target))["themes"] == exported["themes"]


async def test_csv_from_a_spreadsheet_with_semicolons_and_a_formula_guard():
    data = ("code;parent;colour;name_da;name_en;keywords_da\n"
            "A;;#1f5f8b;Arbejdsplads;Workplace;\"løn; chikane\"\n"
            "A1;A;;Løn;Pay;\n"
            "A2;A;;'=SUM(1);Sum;\n").encode()
    themes = taxonomy.read_csv(data)
    assert themes[0]["code"] == "A" and [child["code"] for child in themes[0]["children"]] == ["A1", "A2"]
    assert themes[0]["children"][1]["name"]["da"] == "=SUM(1)"
    assert themes[0]["keywords"] == {"da": ["løn", "chikane"]}


BAD_JSON = [
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe", "not UTF-8"),
    (json.dumps({"format": "other"}).encode(), "not a Samråd taxonomy"),
    (json.dumps({"format": "samrad-taxonomy", "code": "bad code!", "kind": "municipal", "name": {"en": "x"},
                 "themes": []}).encode(), "policy code"),
    (json.dumps({"format": "samrad-taxonomy", "code": "p", "kind": "nonsense", "name": {"en": "x"},
                 "themes": []}).encode(), "policy kind"),
    (json.dumps({"format": "samrad-taxonomy", "code": "p", "kind": "areas", "name": {"en": "x"},
                 "themes": [{"code": "A", "name": {"en": "A"}}, {"code": "A", "name": {"en": "B"}}]}).encode(),
     "used twice"),
    (json.dumps({"format": "samrad-taxonomy", "code": "p", "kind": "areas", "name": {"en": "x"},
                 "themes": [{"code": "A", "name": {"en": "A"}, "children": [{"code": "B", "name": {"en": "B"},
                             "children": [{"code": "C", "name": {"en": "C"}, "children": [
                                 {"code": "D", "name": {"en": "D"}}]}]}]}]}).encode(), "three levels"),
    (json.dumps({"format": "samrad-taxonomy", "code": "p", "kind": "areas", "name": {"en": "x"},
                 "themes": [{"code": "A", "name": {"en": "A"}, "colour": "red"}]}).encode(), "#rrggbb"),
    (json.dumps({"format": "samrad-taxonomy", "code": "p", "kind": "areas", "name": {"en": "x"},
                 "themes": [{"code": "A", "name": {}}]}).encode(), "name is needed"),
    (json.dumps({"format": "samrad-taxonomy", "code": "p", "kind": "areas", "name": {"en": "x"},
                 "themes": [{"code": "A", "name": {"en": "A"}, "keywords": {"en": "x" * 61}}]}).encode(),
     "keywords"),
]


@pytest.mark.parametrize(("data", "message"), BAD_JSON)
async def test_every_bad_json_file_is_refused_with_its_reason(data, message):
    with use_locale("en"), pytest.raises(TaxonomyError) as refused:
        taxonomy.read_json(data)
    assert any(message in problem for problem in refused.value.problems), refused.value.problems


BAD_CSV = [
    (b"", "empty"),
    (b"\xff\xfecode", "not UTF-8"),
    (b"name_en\nA\n", "Row 1 must name"),
    (b"code,parent,name_en,colour_x\nA,,A,\n", "does not know"),
    (b"code,parent,name_en\n", "no themes"),
    (b"code,parent,name_en\nA,,A\nB,Z,B\n", "Row 3: the parent Z"),
    (b"code,parent,name_en\nA,B,A\nB,A,B\n", "circle"),
    (b"code,parent,name_en\nA,,A\nB,A,B\nC,B,C\nD,C,D\n", "Row 5: a theme tree has at most three levels"),
    (b"code,parent,name_en\nA,,A\nA,,B\n", "Row 3: the code A is already used in row 2"),
    (b"code,parent,name_en,colour\nA,,A,#12\n", "Row 2: the colour"),
    (b"code,parent,name_en\nbad code,,A\nB,,\n", "Row 2: the code"),
]


@pytest.mark.parametrize(("data", "message"), BAD_CSV)
async def test_every_bad_csv_file_is_refused_with_row_numbers(data, message):
    with use_locale("en"), pytest.raises(TaxonomyError) as refused:
        taxonomy.read_csv(data)
    assert any(message in problem for problem in refused.value.problems), refused.value.problems


async def test_a_bad_row_lists_every_problem_at_once():
    with pytest.raises(TaxonomyError) as refused:
        taxonomy.read_csv(b"code,parent,name_en,colour\nbad code,,A,#12\nB,,,\n")
    assert len(refused.value.problems) == 3


async def test_importing_themes_into_a_policy_that_has_some_is_refused():
    policy_id = await make_policy()
    await services.import_themes(policy_id, taxonomy.read_csv(b"code,parent,name_en\nA,,A\n"), "test")
    with pytest.raises(TaxonomyError):
        await services.import_themes(policy_id, taxonomy.read_csv(b"code,parent,name_en\nB,,B\n"), "test")
    assert list(await codes(policy_id)) == ["A"]


async def test_an_import_that_fails_half_way_stores_nothing():
    """The database refuses the second policy code only after the first themes are written: all goes."""
    await make_policy("taken")
    document = taxonomy.read_json(json.dumps({
        "format": "samrad-taxonomy", "code": "taken", "kind": "areas", "name": {"en": "x"},
        "themes": [{"code": "A", "name": {"en": "A"}}]}).encode())
    with pytest.raises(TaxonomyError):
        await services.import_taxonomy(document, "test")
    assert await Policy.count() == 1 and await Theme.count() == 0
