"""Text features for theme suggestions, per language: normalised character n-grams (they survive Nordic
compounds, inflection and phone typos: "ligelønnen" shares most of its n-grams with "ligeløn") and Snowball
stems of the content words.

Both are hashed into one fixed space (``HashingVectorizer``), so a vector made today can be compared with one
made by the worker yesterday without sharing a vocabulary. Offline and deterministic: nothing is downloaded.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import cache

import numpy as np
import snowballstemmer
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize

from samrad.core.settings import LOCALES

LANGUAGES = LOCALES
N_FEATURES = 2**18
_SNOWBALL = {"da": "danish", "sv": "swedish", "en": "english"}
_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")
_NOT_TEXT = re.compile(r"[^\w\s+-]|_|\d")
_SPACES = re.compile(r"\s+")
# The char and word blocks weigh the same after each is normalised.
WORD_WEIGHT = 1.0
CHAR_WEIGHT = 1.0

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


def stems(text: str, language: str) -> list[str]:
    """Snowball stems of the content words of ``text`` in ``language`` (stop words left out)."""
    language = language if language in _SNOWBALL else "en"
    words = [w for w in _WORD.findall(unicodedata.normalize("NFKC", text).lower()) if len(w) > 1]
    stop = STOPWORDS[language]
    return [_fold(stem) for stem in _stemmer(language).stemWords([w for w in words if w not in stop])]


def _fold(word: str) -> str:
    return word.translate(_FOLD)


_CHARS = HashingVectorizer(
    analyzer="char_wb", ngram_range=(3, 5), n_features=N_FEATURES, alternate_sign=False, norm=None,
    lowercase=False, preprocessor=normalise,
)


def _word_features(item: tuple[str, str]) -> list[str]:
    """Stems and stem bigrams of a (text, language) pair."""
    words = stems(*item)
    return [f"w:{word}" for word in words] + [f"b:{a} {b}" for a, b in itertools.pairwise(words)]


_WORDS = HashingVectorizer(analyzer=_word_features, n_features=N_FEATURES, alternate_sign=False, norm=None)


def term_counts(texts: list[str], languages: list[str]) -> sparse.csr_matrix:
    """Counts of the hashed features of each text, sublinear (1 + log tf): char block and word block side by
    side (2 × ``N_FEATURES`` columns)."""
    chars = _CHARS.transform(texts)
    words = _WORDS.transform(list(zip(texts, languages, strict=True)))
    counts = sparse.hstack([chars, words], format="csr", dtype=np.float64)
    counts.data = 1.0 + np.log(counts.data)
    return counts


def inverse_document_frequency(counts: sparse.csr_matrix) -> np.ndarray:
    """Smoothed IDF over the rows of ``counts``; a feature no row has gets the highest weight."""
    documents = counts.shape[0]
    frequency = np.bincount(counts.indices, minlength=counts.shape[1])
    return np.log((1 + documents) / (1 + frequency)) + 1.0


def weigh(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    """TF-IDF, each block normalised on its own, then the row as a whole (in place on a copy: O(non-zeros))."""
    weighted = sparse.csr_matrix(counts, copy=True)
    weighted.data *= idf[weighted.indices]
    in_words = weighted.indices >= N_FEATURES
    scale = np.where(in_words, WORD_WEIGHT, CHAR_WEIGHT)
    for row in range(weighted.shape[0]):
        start, stop = weighted.indptr[row], weighted.indptr[row + 1]
        for block in (False, True):
            mask = in_words[start:stop] == block
            norm = np.sqrt(np.square(weighted.data[start:stop][mask]).sum())
            if norm:
                weighted.data[start:stop][mask] /= norm
    weighted.data *= scale
    return normalize(weighted)
