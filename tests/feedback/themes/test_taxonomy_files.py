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


def _document(**fields) -> bytes:
    """A taxonomy file that is right but for ``fields``."""
    document = {"format": "samrad-taxonomy", "code": "p", "kind": "areas", "name": {"en": "x"},
                "themes": [{"code": "A", "name": {"en": "A"}}], **fields}
    return json.dumps(document).encode()


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
    (b"[1, 2]", "not a Samråd taxonomy"),
    (b"{" + b" " * taxonomy.MAX_FILE_BYTES + b"}", "larger than 1 MB"),
    (b"[" * 100_000 + b"]" * 100_000, "nest too deeply"),
    (_document(name={"en": "x\u0000"}), "not text (NUL)"),
    (_document(name={}), "policy needs a name"),
    (_document(name={"fi": "Politiikka"}), "policy needs a name"),
    (_document(description="one text for all"), "policy description"),
    (_document(themes={"A": {}}), "no list of themes"),
    (_document(themes=["A"]), "Theme 1: must be a JSON object"),
    (_document(themes=[{"code": "A B", "name": {"en": "A"}}]), "the code must be 1 to 40"),
    (_document(themes=[{"code": "A", "name": {"en": "A"}, "description": {"en": 7}}]), "the description"),
    (_document(themes=[{"code": "A", "name": {"en": "A"}, "children": {"code": "B"}}]), "must be a list"),
    (_document(themes=[{"code": f"T{n}", "name": {"en": "T"}} for n in range(taxonomy.MAX_THEMES + 1)]),
     "at most 500 themes"),
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
    (b"code,parent,name_en\nA,,\n", "Row 2: a name is needed"),
    (b"code,parent,name_en,keywords_en\nA,,A,x\nB,,B," + b"y" * 61 + b"\n", "Row 3: keywords"),
    (b"code,parent,name_en\n" + b"A,,A\n" * 200_000, "larger than 1 MB"),
    (b"code,parent,name_en\nA,,A\x00\n", "not text (NUL)"),
    (b"code,parent,name_en\nA,,\"" + b"x" * 200_000 + b"\n", "could not be read as CSV"),
    (b"code,parent,name_en\n" + b"".join(b"T%d,,T\n" % n for n in range(taxonomy.MAX_THEMES + 1)),
     "at most 500 themes"),
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


async def test_every_bad_file_is_refused_in_each_language():
    """The reasons are translated: the same bad file in Danish, Swedish and English."""
    said = {}
    for locale in ("da", "sv", "en"):
        with use_locale(locale), pytest.raises(TaxonomyError) as refused:
            taxonomy.read_csv(b"code,parent,name_en\nA,,A\nB,Z,B\n")
        said[locale] = refused.value.problems[0]
    assert said["en"] == "Row 3: the parent Z is not the code of any row."
    assert len(set(said.values())) == 3 and all("3" in text and "Z" in text for text in said.values())


async def test_samrad_taxonomy_load_names_the_built_ins_and_refuses_others(capsys):
    from feedback.themes.cli import load_taxonomy
    from samrad import cli

    args = cli.parser().parse_args(["taxonomy", "load", "cemr"])
    assert (args.command, args.action, args.name) == ("taxonomy", "load", "cemr")
    assert await load_taxonomy("cemr") == 0
    assert "loaded cemr as policy" in capsys.readouterr().out
    assert (await Policy.select(Policy.code).first())["code"] == "cemr-charter"
    assert await Theme.count() == 41
    with use_locale("en"):
        assert await load_taxonomy("cemr") == 2  # already loaded: nothing more is stored
        assert await load_taxonomy("oslo") == 2
    errors = capsys.readouterr().err
    assert "exists already" in errors and "oslo" in errors and "randers, cemr, lerum" in errors
    assert await Policy.count() == 1 and await Theme.count() == 41
