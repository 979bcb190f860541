"""Text features for theme suggestions, per language: normalised character n-grams (they survive Nordic
compounds, inflection and phone typos: "ligelønnen" shares most of its n-grams with "ligeløn") and Snowball
stems of the content words.

Both are hashed into one fixed space, so a vector made today can be compared with one made by the worker
yesterday without sharing a vocabulary. Offline and deterministic: nothing is downloaded.

Plain Python on purpose. The features and their hash are exactly those of the scikit-learn ``HashingVectorizer``
the engine was measured with (``analyzer="char_wb"``, n-grams of 3 to 5 characters, MurmurHash3 of the UTF-8
bytes, ``abs(hash) % N_FEATURES``), without numpy, scipy and scikit-learn in the server: they cost it over
100 MiB of memory for what is a few hundred multiplications per suggestion. A vector is a dict
``{feature index: weight}``, keys in ascending order, so every sum over it runs in the same order.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from functools import cache
from typing import TypeAlias

import mmh3
import snowballstemmer

from samrad.core.settings import LOCALES

LANGUAGES = LOCALES
N_FEATURES = 2**18  # per block: character n-grams in [0, N_FEATURES), stems in [N_FEATURES, 2 * N_FEATURES)
NGRAM_SIZES = (3, 4, 5)
_SNOWBALL = {"da": "danish", "sv": "swedish", "en": "english"}
_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")
_NOT_TEXT = re.compile(r"[^\w\s+-]|_|\d")
_SPACES = re.compile(r"\s+")
# The char and word blocks weigh the same after each is normalised.
WORD_WEIGHT = 1.0
CHAR_WEIGHT = 1.0

Vector: TypeAlias = dict[int, float]

# Words that say nothing about a theme: function words and what every statement at such a table says.
STOPWORDS = {
    "da": frozenset(
        "af alle allerede alt altid andre at bare bliver blev bør da de dem den denne der deres det dette du efter "
        "egentlig eller en end er et for fordi fra få får godt gør han har hele hende her hos hun hvad hvem hvis "
        "hvor hvordan hvorfor i ikke ind ingen jeg kan kun kunne lige man mange med meget men mere mig min mit "
        "måske ned noget nogen nok nu når og også om op os over på sig sin sine skal skulle som så stadig til "
        "ud uden under ved vi vil ville være været vores jo lidt altså mener synes tror rigtig".split()
    ),
    "sv": frozenset(
        "alla alltid andra att av bara blev blir borde bort dem den denna det detta de du där efter eller en "
        "ett fast finns från få får för gör han har hela hennes här hon hur i ingen inte jag kan kunde man "
        "många med mer mig min mitt men nog någon något när och också om oss på sig sin sina ska skulle som så "
        "till under ut utan vad var varför vem vi vill vara varit våra är än egentligen liksom typ tycker tror "
        "bara väldigt också".split()
    ),
    "en": frozenset(
        "a about actually all also always an and any are as at be because been being but by can cant could "
        "do does dont even every for from get gets got had has have he her here him his how i if in into is it "
        "its just like me more most my no not of on one only or other our out really should so some still "
        "such that the their them then there these they this those to too up us very was we were what when "
        "where which who whoever why will with would you your think".split()
    ),
}

# Cross-language spelling of the letters Danish and Swedish share, so "pædagog" and "pedagog", "køn" and "kön"
# meet in the character n-grams.
_FOLD = str.maketrans({"æ": "ä", "ø": "ö"})


def normalise(text: str) -> str:
    """Lower case, compatibility forms folded, digits and punctuation gone, one space between words."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_FOLD)
    return _SPACES.sub(" ", _NOT_TEXT.sub(" ", text)).strip()


@cache
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(_SNOWBALL[language])


def content_words(text: str, language: str) -> list[str]:
    """The content words of ``text`` in ``language``: lower case, compatibility forms folded, longer than one
    letter, stop words left out (not stemmed, not spelled across languages)."""
    language = language if language in _SNOWBALL else "en"
    stop = STOPWORDS[language]
    return [w for w in _WORD.findall(unicodedata.normalize("NFKC", text).lower()) if len(w) > 1 and w not in stop]


def stems(text: str, language: str) -> list[str]:
    """Snowball stems of the content words of ``text`` in ``language`` (stop words left out)."""
    language = language if language in _SNOWBALL else "en"
    return [_fold(stem) for stem in _stemmer(language).stemWords(content_words(text, language))]


def _fold(word: str) -> str:
    return word.translate(_FOLD)


def char_ngrams(text: str) -> list[str]:
    """The character n-grams of the normalised text, inside word boundaries: each word padded with a space on
    either side, its n-grams of each size; a padded word no longer than n counts once, as itself, and ends the
    word's larger sizes (scikit-learn's ``char_wb`` analyser, to the n-gram)."""
    grams: list[str] = []
    for word in normalise(text).split():
        padded = f" {word} "
        length = len(padded)
        for size in NGRAM_SIZES:
            if length <= size:
                grams.append(padded)
                break
            grams.extend(padded[start:start + size] for start in range(length - size + 1))
    return grams


def word_features(text: str, language: str) -> list[str]:
    """Stems and stem bigrams of a text in a language."""
    words = stems(text, language)
    return [f"w:{word}" for word in words] + [f"b:{a} {b}" for a, b in itertools.pairwise(words)]


def feature_index(feature: str) -> int:
    """The column of a feature in its block: signed 32-bit MurmurHash3 (seed 0) of its UTF-8 bytes, absolute
    value modulo ``N_FEATURES``. Python's ``abs`` of -2**31 is 2**31, which is what scikit-learn's special case
    for it works out to. Hashed as bytes: mmh3 given a ``str`` with a lone surrogate crashes the process (text
    from a JSON body can hold one), where ``encode`` raises."""
    return abs(mmh3.hash(feature.encode("utf-8", "surrogatepass"), 0, signed=True)) % N_FEATURES


def term_counts(text: str, language: str) -> Vector:
    """Counts of the hashed features of ``text``, sublinear (1 + log tf): the char block, then the word block
    (``N_FEATURES`` further on). Features that hash to the same column add up, as in any hashing vectoriser."""
    counts = Counter(map(feature_index, char_ngrams(text)))
    counts.update(N_FEATURES + feature_index(feature) for feature in word_features(text, language))
    return {feature: 1.0 + math.log(count) for feature, count in sorted(counts.items())}


class Idf:
    """Smoothed inverse document frequency, ``log((1 + documents) / (1 + frequency)) + 1``: a value for each
    feature the documents have, ``default`` (the highest) for any other. Two sorted arrays looked up by bisection,
    not a dict: a model learned from a thousand statements has tens of thousands of features, a few hundred KiB
    this way and several MiB as a dict of Python ints and floats."""

    __slots__ = ("default", "features", "values")

    def __init__(self, features: array, values: array, default: float) -> None:
        self.features = features  # array("i"), ascending
        self.values = values  # array("d"), or array("f") as stored
        self.default = default

    def __getitem__(self, feature: int) -> float:
        position = bisect_left(self.features, feature)
        if position < len(self.features) and self.features[position] == feature:
            return self.values[position]
        return self.default

    def __len__(self) -> int:
        return len(self.features)


def inverse_document_frequency(documents: Sequence[Vector]) -> Idf:
    """Smoothed IDF over ``documents``; a feature none has gets the highest weight."""
    frequency = Counter(feature for document in documents for feature in document)
    total = 1 + len(documents)
    features = sorted(frequency)
    return Idf(array("i", features), array("d", (math.log(total / (1 + frequency[f])) + 1.0 for f in features)),
               math.log(total) + 1.0)


def weigh(counts: Vector, idf: Idf) -> Vector:
    """TF-IDF, the char block and the word block each normalised on its own and weighed, then the whole row
    normalised (an empty block, or row, stays empty)."""
    weighted = {feature: count * idf[feature] for feature, count in counts.items()}
    chars = math.hypot(*(value for feature, value in weighted.items() if feature < N_FEATURES)) or 1.0
    words = math.hypot(*(value for feature, value in weighted.items() if feature >= N_FEATURES)) or 1.0
    for feature, value in weighted.items():
        weighted[feature] = value / words * WORD_WEIGHT if feature >= N_FEATURES else value / chars * CHAR_WEIGHT
    return normalised(weighted)


def normalised(vector: Vector) -> Vector:
    """``vector`` scaled to unit length (an empty or zero vector as it is)."""
    norm = math.hypot(*vector.values())
    return {feature: value / norm for feature, value in vector.items()} if norm else dict(vector)
