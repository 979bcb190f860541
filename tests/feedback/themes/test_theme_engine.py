"""The suggestion engine in plain Python: the same hashed features scikit-learn's ``HashingVectorizer`` made (the
expected indices below were computed with it before it left the project), the stored model's format, a stored
model it cannot read, and no numpy, scipy or scikit-learn in the process."""

from __future__ import annotations

import math
import subprocess
import sys
import zlib

import pytest
from input_support import capture, make_setup

from feedback.tables import Theme, ThemeModel
from feedback.themes.features import N_FEATURES, char_ngrams, feature_index, term_counts
from feedback.themes.learning import retrain
from feedback.themes.ranking import Example, LearnedModel, Ranker, ThemeInfo
from feedback.themes.suggestions import suggest
from samrad.core.settings import ROOT

# Feature string -> its column, from sklearn's HashingVectorizer(n_features=2**18, alternate_sign=False).
SKLEARN_INDICES = {
    " li": 125821, "lig": 120251, "ige": 124603, "ø": 7591, "løn ": 99960, " kön ": 12444, "w:ligeløn": 226434,
    "b:lig løn": 165572, "😀": 250118, "👩\u200d👧": 138858, "Ålborg": 45087,
}
# (text, language) -> the columns of its char block and word block (the word block N_FEATURES further on).
SKLEARN_ROWS = {
    ("Ligeløn!", "da"): [
        28358, 49948, 84254, 108338, 120251, 124603, 125821, 133540, 142369, 152728, 155426, 170991, 192799, 197665,
        202236, 236768, 251244, 258905, 344527,
    ],
    ("Lika lön för kvinnor", "sv"): [
        7823, 30205, 33791, 57988, 59487, 79842, 84254, 88064, 90149, 103220, 109087, 114569, 116330, 116581, 119200,
        122413, 125821, 133234, 144035, 144174, 155426, 159489, 161704, 168951, 169835, 171933, 177788, 190811, 198181,
        225975, 234795, 235293, 243531, 245634, 251244, 253909, 257068, 259199, 260818, 275145, 294418, 460578,
        488568, 504732,
    ],
    ("Equal pay 😀 now", "en"): [
        14256, 31806, 32710, 48469, 64579, 68115, 78256, 87557, 89456, 92021, 93737, 103789, 110646, 136713, 142284,
        147986, 156772, 167554, 174325, 180681, 241424, 246666, 248984, 252897, 285564, 343510, 401204, 426144,
        458446,
    ],
}


async def test_features_hash_to_the_columns_scikit_learn_gave_them():
    assert {feature: feature_index(feature) for feature in SKLEARN_INDICES} == SKLEARN_INDICES
    for (text, language), columns in SKLEARN_ROWS.items():
        counts = term_counts(text, language)
        assert list(counts) == columns and set(counts.values()) == {1.0}
    assert char_ngrams("Ligeløn!") == [
        " li", "lig", "ige", "gel", "elö", "lön", "ön ", " lig", "lige", "igel", "gelö", "elön", "lön ", " lige",
        "ligel", "igelö", "gelön", "elön ",
    ]  # ø folded to ö
    assert char_ngrams("og") == [" og", "og ", " og "]  # a padded word no longer than n: once, as itself


async def test_counts_are_sublinear_and_blocks_side_by_side():
    counts = term_counts("Løn, løn og LØN", "da")
    assert counts == {
        9450: 1.0, 16983: 1.0, 30598: 1.0, 79842: 1 + math.log(3), 84254: 1 + math.log(3),
        119200: 1 + math.log(3), 155426: 1 + math.log(3), 235293: 1 + math.log(3), 251244: 1 + math.log(3),
        308894: 1 + math.log(2), 460578: 1 + math.log(3),
    }  # "w:lön" three times, "b:lön lön" twice, in the word block
    assert all(column < 2 * N_FEATURES for column in counts)
    assert term_counts("", "da") == {} and term_counts("1234 !!", "sv") == {}


async def test_a_lone_surrogate_is_only_text_that_is_not_there():
    """Text from a JSON body can hold a lone surrogate; it never reaches the hash (mmh3 crashes on it)."""
    assert term_counts("løn \ud800 løn", "da") == term_counts("løn løn", "da")
    assert 0 <= feature_index("\ud800") < N_FEATURES


THEMES = [
    ThemeInfo(1, "W", None, {"en": "Workplace", "da": "Arbejdsplads", "sv": "Arbetsplats"},
              {"en": "pay, careers and working hours"}),
    ThemeInfo(2, "W1", 1, {"en": "Equal pay", "da": "Ligeløn", "sv": "Lika lön"}),
    ThemeInfo(3, "S", None, {"en": "Safety", "da": "Tryghed", "sv": "Trygghet"}, {},
              {"en": ["lighting", "harassment"]}),
]
EXAMPLES = [
    Example("Vagtplanen er urimelig", "da", 1), Example("vagtplan og weekender", "da", 1),
    Example("Lønnen er skæv mellem mænd og kvinder", "da", 2), Example("Dark paths at night", "en", 3),
    Example("Mörka gångvägar på kvällen", "sv", 3),
]


async def test_a_stored_model_reads_back_and_suggests_the_same():
    model = LearnedModel.train(EXAMPLES, THEMES)
    data = model.to_bytes()
    loaded = LearnedModel.from_bytes(data)
    assert loaded is not None and loaded.classes == [1, 2, 3] and loaded.counts == [2, 1, 2]
    assert list(loaded.members) == list(model.members)
    ranker = Ranker(THEMES)
    for text, language in (("Vagtplanen skal laves om", "da"), ("Lighting on the paths", "en"), ("Lön", "sv")):
        assert loaded.similarities(term_counts(text, language)) == pytest.approx(
            model.similarities(term_counts(text, language)), abs=1e-6)  # stored as 32-bit floats
        assert ranker.suggest(text, language, loaded) == ranker.suggest(text, language, model)
    assert ranker.suggest("Vagtplanen skal laves om", "da", loaded)[0][0] == 1
    assert LearnedModel.train([], THEMES) is None


@pytest.mark.parametrize("data", [
    b"", b"garbage", b"PK\x03\x04\x14\x00\x00\x00\x08\x00",  # an npz (a zip) as numpy stored it
    b"samrad-theme-model/1\n", b"samrad-theme-model/1\nnot zlib",
    b"samrad-theme-model/1\n" + zlib.compress(b"\x05\x00\x00\x00{}xyz"),
    b"samrad-theme-model/1\n" + zlib.compress(b"\x02\x00\x00\x00[]"),
    b"samrad-theme-model/1\n" + zlib.compress(b"\xff\xff\xff\x7f"),
])
async def test_a_model_it_cannot_read_is_no_model(data):
    assert LearnedModel.from_bytes(data) is None


async def test_a_damaged_model_is_no_model():
    data = LearnedModel.train(EXAMPLES, THEMES).to_bytes()
    payload = zlib.decompress(data[len(b"samrad-theme-model/1\n"):])
    assert LearnedModel.from_bytes(data[:-5]) is None  # cut short
    assert LearnedModel.from_bytes(b"samrad-theme-model/1\n" + zlib.compress(payload[:-4])) is None  # an array short
    assert LearnedModel.from_bytes(b"samrad-theme-model/1\n" + zlib.compress(payload + b"\0\0\0\0")) is None


async def test_the_server_suggests_from_the_themes_when_the_stored_model_is_unreadable_until_retrained():
    from feedback import tagging
    from samrad.core import db

    setup = await make_setup()
    policy_id = (await Theme.select(Theme.policy).where(Theme.id == setup.theme_ids[0]).first())["policy"]
    for sentence in ("Vagtplanen er urimelig", "vagtplan og weekender", "Vagtplanerne skifter hele tiden"):
        item = await capture(setup, sentence)
        async with db.atomic():
            await tagging.set_tags(item["id"], [setup.theme_ids[1]])
    assert await retrain(policy_id)
    learned = await suggest(policy_id, "Vagtplanen skal laves om", "da")
    await ThemeModel.update({ThemeModel.data: b"PK\x03\x04 an old npz", ThemeModel.version: ThemeModel.version + 1}) \
        .where(ThemeModel.policy == policy_id)
    cold = await suggest(policy_id, "Vagtplanen skal laves om", "da")  # no error: the cold start
    assert not cold or cold[0].theme_id != setup.theme_ids[1]
    await ThemeModel.raw("DELETE FROM theme_model")  # what the migration to this format does
    assert await retrain(policy_id)  # no row: trained
    stored = await ThemeModel.select(ThemeModel.data).where(ThemeModel.policy == policy_id).first()
    assert LearnedModel.from_bytes(bytes(stored["data"])) is not None
    assert await suggest(policy_id, "Vagtplanen skal laves om", "da") == learned


async def test_suggesting_imports_no_numpy_scipy_or_scikit_learn():
    script = (
        "import sys\n"
        "from feedback.themes.ranking import Example, LearnedModel, Ranker, ThemeInfo\n"
        "themes = [ThemeInfo(1, 'A', None, {'en': 'Equal pay'}), ThemeInfo(2, 'B', 1, {'en': 'Safety at night'})]\n"
        "model = LearnedModel.from_bytes(LearnedModel.train([Example('pay gap', 'en', 1)], themes).to_bytes())\n"
        "assert Ranker(themes).suggest('equal pay now', 'en', model)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'numpy', 'scipy', 'sklearn'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
