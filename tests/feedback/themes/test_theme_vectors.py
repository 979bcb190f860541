"""The optional word-vector plug-in (``feedback.themes.vectors``, ``SAMRAD_THEME_VECTORS_DIR``): aligned words
close in vector space find a theme that shares no word with the text, and only when it is on; off (or unusable)
the scores are exactly those without it; a bad folder is warned about once and never breaks a suggestion; the
index holds no vectors and the cache stays small.

The vectors are hand-made, 4 dimensions: lighting, pay, childcare, and what any talk at the table has."""

from __future__ import annotations

import dataclasses
import logging
import os
from array import array
from pathlib import Path

import pytest
from staff_support import csrf_token, login_as
from themes_support import make_policy, theme_fields

from feedback.themes import ranking, services, suggestions, vectors
from feedback.themes.ranking import Ranker, ThemeInfo
from feedback.themes.vectors import WordVectors
from samrad.core.settings import get_settings

WORDS = {
    # lighting: the theme says "lighting" and "lamps"; the texts say "belysning" (da and sv) or "gatlyktor"
    "lighting": (1.0, 0.0, 0.0, 0.1),
    "lamps": (0.9, 0.05, 0.0, 0.2),
    "belysning": (0.95, 0.05, 0.0, 0.2),
    "gatlyktor": (0.9, 0.0, 0.1, 0.3),
    # pay
    "salary": (0.0, 1.0, 0.0, 0.1),
    "wages": (0.1, 0.9, 0.0, 0.2),
    "løn": (0.0, 1.0, 0.1, 0.1),
    "lön": (0.05, 0.95, 0.0, 0.1),
    # childcare
    "kindergarten": (0.0, 0.0, 1.0, 0.1),
    "børnehave": (0.0, 0.1, 1.0, 0.1),
    "förskola": (0.1, 0.0, 0.95, 0.1),
    # table talk: as close to every theme
    "lunch": (0.3, 0.3, 0.3, 1.0),
    "frokost": (0.3, 0.3, 0.3, 1.0),
}
THEMES = [
    ThemeInfo(1, "LIGHT", None, {"en": "Street lighting"}, keywords={"en": ["lamps"]}),
    ThemeInfo(2, "PAY", None, {"en": "Equal salary"}, keywords={"en": ["wages"]}),
    ThemeInfo(3, "CARE", None, {"en": "Kindergarten places"}),
]
# Texts that share no word (nor enough character n-grams) with any theme: only the vectors bring them together.
CLOSE = [
    ("Der mangler belysning", "da", "LIGHT"),
    ("Fler gatlyktor", "sv", "LIGHT"),
    ("Min løn", "da", "PAY"),
    ("Köer till förskola", "sv", "CARE"),
    ("Ingen børnehave", "da", "CARE"),
]


def write_vectors(folder: Path, words: dict[str, tuple[float, ...]] = WORDS, header: bool = True,
                  name: str = "vectors.vec") -> Path:
    dims = len(next(iter(words.values())))
    lines = [f"{len(words)} {dims}"] if header else []
    lines += [f"{word} {' '.join(f'{value:.4f}' for value in values)} " for word, values in words.items()]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def word_vectors(tmp_path):
    write_vectors(tmp_path)
    loaded = WordVectors(tmp_path)
    assert loaded.load()
    yield loaded
    loaded.close()


@pytest.fixture
def plugged(monkeypatch):
    """Point the suggestions at a folder (or at none) as ``SAMRAD_THEME_VECTORS_DIR`` would."""
    monkeypatch.setattr(suggestions, "_vectors", {})
    monkeypatch.setattr(suggestions, "_cache", {})
    settings = get_settings()

    def plug(folder: Path | str) -> None:
        changed = dataclasses.replace(settings, theme_vectors_dir=str(folder))
        monkeypatch.setattr(suggestions, "get_settings", lambda: changed)

    yield plug
    for loaded in suggestions._vectors.values():
        loaded.close()


def codes(found: list[tuple[int, float]]) -> list[str]:
    return [THEMES[theme_id - 1].code for theme_id, _score in found]


# --- what it does -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "language", "code"), CLOSE)
async def test_close_words_find_the_theme_only_with_the_plug_in(word_vectors, text, language, code):
    assert Ranker(THEMES).suggest(text, language) == []  # off: no word in common, no suggestion
    found = Ranker(THEMES, word_vectors).suggest(text, language)
    assert codes(found)[:1] == [code], found
    assert found[0][1] >= ranking.MIN_SCORE


async def test_table_talk_with_known_words_still_gets_no_suggestion(word_vectors):
    """Averaged word vectors of unrelated texts are alike; only what is closer than the average counts."""
    on = Ranker(THEMES, word_vectors)
    for text, language in (("What time is lunch?", "en"), ("Vi spiser frokost", "da")):
        assert on.suggest(text, language) == [], text


async def test_off_or_unusable_the_scores_are_exactly_those_without_it(tmp_path, word_vectors):
    broken = WordVectors(tmp_path / "nowhere")
    texts = [(text, language) for text, language, _code in CLOSE] + [("Street lighting at night", "en"),
                                                                     ("Lige løn nu", "da")]
    for text, language in texts:
        without = Ranker(THEMES).own_scores(text, language)
        assert Ranker(THEMES, broken).own_scores(text, language) == without  # bit for bit
    unknown_words_only = "qqq zzz straße"
    assert (Ranker(THEMES, word_vectors).own_scores(unknown_words_only, "en")
            == Ranker(THEMES).own_scores(unknown_words_only, "en"))
    assert Ranker(THEMES, broken).vectors is None and broken.failed


async def test_a_word_is_looked_up_by_its_own_line_and_the_first_of_twins_wins(tmp_path, monkeypatch):
    """Every word hashing alike still reads its own vector (the word on the line is checked); a word listed
    twice (the same spelling in two concatenated languages) keeps its first vector; no header is fine."""
    twins = {**WORDS, "lighting": (0.0, 0.0, 0.0, 1.0)}  # a dict keeps one key: write the twin by hand below
    path = write_vectors(tmp_path, twins, header=False)
    path.write_text(path.read_text(encoding="utf-8") + "lighting 0 1 0 0\n", encoding="utf-8")
    monkeypatch.setattr(vectors, "_hash", lambda word: 7)
    loaded = WordVectors(tmp_path)
    try:
        assert loaded.load() and loaded.dims == 4 and loaded.words == len(WORDS) + 1
        assert list(loaded.vector("lighting")) == [0.0, 0.0, 0.0, 1.0]
        lon = loaded.vector("lön")
        assert lon is not None and lon[1] == pytest.approx(0.993, abs=2e-3)
        assert loaded.vector("nowhere") is None and loaded.vector("") is None
    finally:
        loaded.close()


async def test_a_damaged_line_makes_its_word_unknown_not_the_file(tmp_path):
    path = write_vectors(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + "broken 1 2\nnotanumber 1 x 2 3\n", encoding="utf-8")
    loaded = WordVectors(tmp_path)
    try:
        assert loaded.load()
        assert loaded.vector("broken") is None and loaded.vector("notanumber") is None
        assert loaded.vector("salary") is not None
    finally:
        loaded.close()


async def test_a_file_marked_as_utf8_by_an_editor_reads_its_first_word(tmp_path):
    path = write_vectors(tmp_path, header=False)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    loaded = WordVectors(tmp_path)
    try:
        assert loaded.load() and loaded.dims == 4
        assert loaded.vector("lighting") is not None
    finally:
        loaded.close()


# --- memory -----------------------------------------------------------------------------------------------

async def test_the_index_holds_no_vectors_and_the_cache_stays_small(tmp_path):
    many = {f"word{number}": tuple(float((number * 7 + dim) % 11 + 1) for dim in range(64))
            for number in range(400)}
    path = write_vectors(tmp_path, many)
    loaded = WordVectors(tmp_path, cache_words=8)
    try:
        assert loaded.load()
        assert isinstance(loaded._keys, array) and isinstance(loaded._offsets, array)
        assert loaded.index_bytes() == 16 * 400 + 8  # two 8-byte numbers a word, and the file's end
        assert loaded.index_bytes() * 10 < path.stat().st_size
        assert loaded.cached() == 0  # building the index reads no vector
        first = loaded.vector("word0")
        assert loaded.embed(f"word{number}" for number in range(100)) is not None
        assert loaded.cached() == 8
        assert loaded.vector("word0") == first  # evicted, read again, the same
        assert isinstance(first, array) and first.typecode == "f" and len(first) == 64
    finally:
        loaded.close()


# --- bad folders ------------------------------------------------------------------------------------------

BAD = {
    "missing": lambda folder: folder / "not-there",
    "no file": lambda folder: (folder / "empty").mkdir(parents=True) or folder / "empty",
    "a folder named vectors.vec": lambda folder: (folder / "v" / "vectors.vec").mkdir(parents=True) or folder / "v",
    "binary": lambda folder: _write(folder, b"3 4\nlighting \x00\x9f\x11\xfe\x00\x00\x80?\nsalary \x01\x02"),
    "header disagrees": lambda folder: _write(folder, b"2 300\nlighting 1 0 0 0\nsalary 0 1 0 0\n"),
    "words without numbers": lambda folder: _write(folder, b"lighting\nsalary belysning\n"),
    "empty file": lambda folder: _write(folder, b""),
    "not a header": lambda folder: _write(folder, b"0 4\nlighting 1 0 0 0\n"),
}


def _write(folder: Path, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vectors.txt").write_bytes(data)
    return folder


@pytest.mark.parametrize("case", sorted(BAD))
async def test_a_bad_folder_is_warned_about_once_and_ignored(tmp_path, caplog, case):
    folder = BAD[case](tmp_path / "case")
    loaded = WordVectors(folder)
    with caplog.at_level(logging.WARNING, logger="feedback.themes.vectors"):
        assert not loaded.load() and not loaded.load()
        assert loaded.vector("lighting") is None and loaded.embed_texts([("belysning", "da")]) is None
        ranker = Ranker(THEMES, loaded)
        assert ranker.vectors is None
        assert ranker.own_scores("Street lighting", "en") == Ranker(THEMES).own_scores("Street lighting", "en")
    warnings = [record for record in caplog.records if record.name == "feedback.themes.vectors"]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    message = warnings[0].getMessage()
    assert str(folder) in message
    assert not any(word in message for word in ("lighting", "salary", "belysning")), message


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
async def test_an_unreadable_file_is_warned_about_once_and_ignored(tmp_path, caplog):
    path = write_vectors(tmp_path)
    path.chmod(0)
    try:
        with caplog.at_level(logging.WARNING, logger="feedback.themes.vectors"):
            assert not WordVectors(tmp_path).load()
        assert [record.getMessage() for record in caplog.records if "PermissionError" in record.getMessage()]
    finally:
        path.chmod(0o644)


# --- wired from the settings (both databases) -------------------------------------------------------------

async def _policy() -> int:
    policy_id = await make_policy("vectors-policy")
    for theme in THEMES:
        keywords = {language: list(words) for language, words in theme.keywords.items()}
        fields = theme_fields(theme.code, name=dict(theme.name), keywords=keywords)
        await services.create_theme(policy_id, None, fields, "test")
    return policy_id


async def test_the_setting_turns_it_on_and_off(tmp_path, plugged):
    policy_id = await _policy()
    write_vectors(tmp_path / "vectors")
    plugged("")
    assert await suggestions.suggest(policy_id, "Fler gatlyktor", "sv") == []
    plugged(tmp_path / "vectors")
    [best, *_] = await suggestions.suggest(policy_id, "Fler gatlyktor", "sv")
    assert best.code == "LIGHT" and best.path == ["LIGHT"] and best.score >= ranking.MIN_SCORE
    assert await suggestions.suggest(policy_id, "Vi spiser frokost", "da") == []
    plugged("")
    assert await suggestions.suggest(policy_id, "Fler gatlyktor", "sv") == []  # off again: as before


async def test_the_api_answers_with_a_bad_folder_and_warns_once(tmp_path, plugged, client, caplog):
    policy_id = await _policy()
    assert policy_id
    plugged(_write(tmp_path / "bad", b"\x00\x01\x02 not vectors\n"))
    await login_as(client, "facilitator")
    client.headers["X-CSRFToken"] = await csrf_token(client, "/staff")
    url = "/api/v1/policies/vectors-policy/suggestions"
    with caplog.at_level(logging.WARNING, logger="feedback.themes.vectors"):
        for text in ("Fler gatlyktor", "Street lighting lamps", "Mer belysning"):
            response = await client.post(url, json={"text": text, "language": "sv"})
            assert response.status_code == 200, response.text
    assert response.json()["suggestions"] == []  # "belysning" alone, without the vectors: nothing
    warnings = [record for record in caplog.records if record.name == "feedback.themes.vectors"]
    assert len(warnings) == 1
    assert not any(word in warnings[0].getMessage() for word in ("gatlyktor", "lighting", "belysning"))


async def test_the_api_suggests_through_the_vectors(tmp_path, plugged, client):
    await _policy()
    write_vectors(tmp_path / "vectors")
    plugged(tmp_path / "vectors")
    await login_as(client, "facilitator")
    client.headers["X-CSRFToken"] = await csrf_token(client, "/staff")
    response = await client.post("/api/v1/policies/vectors-policy/suggestions",
                                 json={"text": "Köer till förskola", "language": "sv"})
    assert response.status_code == 200, response.text
    assert [s["code"] for s in response.json()["suggestions"]][:1] == ["CARE"]
