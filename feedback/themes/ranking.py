"""Ranking a policy's themes for a text: what each theme says about itself (cold start), plus what people
confirmed (a nearest-neighbour model of the policy's confirmed tags), scored on the finest themes and rolled up
to their parents.

Plain computation on plain values: ``feedback.themes.suggestions`` feeds it the themes and the stored model,
``feedback.themes.learning`` trains the model in the worker, ``samrad.bench_themes`` measures it. The vectors are
sparse dicts (``feedback.themes.features``); what a text is scored against is kept as postings (per feature, the
rows that have it), so a suggestion costs work in proportion to the text's own features, not to the model.
With the optional word vectors (``feedback.themes.vectors``, off by default) an embedding similarity is blended
in too; without them the scores are exactly what they were before the plug-in existed.
"""

from __future__ import annotations

import json
import operator
import struct
import sys
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from feedback.themes.features import LANGUAGES, Idf, Vector, inverse_document_frequency, normalised, term_counts, weigh

if TYPE_CHECKING:
    from feedback.themes.vectors import WordVectors

# A leaf's profile leans on its parent's words too ("Pay, careers" is about the workplace): this much.
PARENT_WEIGHT = 0.5
# The theme's words in the other languages count a little (Danish and Swedish share many roots).
OTHER_LANGUAGE_WEIGHT = 0.3
# How much the learned part adds to a theme's cold-start score: labels / (labels + LEARNING_PACE), at most
# MAX_LEARNED_WEIGHT. Added, not mixed: replacing the theme's own words by a few examples measured worse.
LEARNING_PACE = 3.0
MAX_LEARNED_WEIGHT = 0.8
# Below this blended score a theme is not offered; when none reaches it, there is no suggestion.
MIN_SCORE = 0.08  # off-topic talk ("what time is lunch") measured below 0.07
TOP = 3
NEAREST = 3  # the learned score of a theme: the mean similarity of its three nearest confirmed texts
# With the optional word vectors (``feedback.themes.vectors``): a theme's score gains this much of how much closer
# the text's embedding is to the theme's than to the policy's themes on average (cosines; never below 0). Centred
# on that average because averaged word vectors of any two texts are rather alike (cosines of 0.3 and more for
# unrelated statements), which would lift off-topic talk past ``MIN_SCORE`` and end the abstention. Not measured
# on real vectors: the bench runs without them.
VECTOR_WEIGHT = 0.3


@dataclass(frozen=True)
class ThemeInfo:
    id: int
    code: str
    parent_id: int | None
    name: Mapping[str, str]
    description: Mapping[str, str] = field(default_factory=dict)
    keywords: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def text(self, language: str) -> str:
        words = " ".join(self.keywords.get(language) or ())
        return " ".join(filter(None, (self.name.get(language, ""), self.description.get(language, ""), words)))


@dataclass(frozen=True)
class Example:
    text: str
    language: str
    theme_id: int


class Postings:
    """Rows of sparse vectors turned into columns: the features in ascending order, and per feature the rows
    that have it (ascending) with their weights, all in flat arrays (``starts[i]:starts[i + 1]`` are feature
    ``i``'s). A thousand confirmed statements are some 170,000 weights: under 2 MiB this way, over 15 MiB as
    dicts and tuples of Python numbers."""

    __slots__ = ("features", "rows", "starts", "weights")

    def __init__(self, features: array, starts: array, rows: array, weights: array) -> None:
        self.features = features  # array("i")
        self.starts = starts  # array("I"), one longer than ``features``
        self.rows = rows  # array("I")
        self.weights = weights  # array("d"), or array("f") as stored

    @classmethod
    def of(cls, vectors: Sequence[Vector]) -> Postings:
        """The postings of ``vectors`` (row ``i`` is ``vectors[i]``)."""
        columns: dict[int, list[int]] = {}
        for row, vector in enumerate(vectors):
            for feature in vector:
                columns.setdefault(feature, []).append(row)
        features = sorted(columns)
        starts, rows, weights = array("I", [0]), array("I"), array("d")
        for feature in features:
            for row in columns[feature]:
                rows.append(row)
                weights.append(vectors[row][feature])
            starts.append(len(rows))
        return cls(array("i", features), starts, rows, weights)

    def dot(self, vector: Vector, size: int) -> list[float]:
        """The dot product of ``vector`` with each of the ``size`` rows: only the postings of the vector's own
        features are read."""
        features, starts, rows, weights = self.features, self.starts, self.rows, self.weights
        count = len(features)
        sums = [0.0] * size
        for feature, value in vector.items():
            position = bisect_left(features, feature)
            if position < count and features[position] == feature:
                start, stop = starts[position], starts[position + 1]
                for row, weight in zip(rows[start:stop], weights[start:stop], strict=True):
                    sums[row] += value * weight
        return sums


# ``LearnedModel.to_bytes``: this prefix, then zlib of a 4-byte header length, a JSON header (the classes, the
# IDF's default, the arrays' lengths) and the arrays below, little-endian, in this order.
_FORMAT = b"samrad-theme-model/1\n"
_ARRAYS = (("members", "I"), ("idf_features", "i"), ("idf_values", "f"), ("features", "i"), ("starts", "I"),
           ("rows", "I"), ("weights", "f"))
_BIG_ENDIAN = sys.byteorder == "big"


class LearnedModel:
    """What people confirmed: the texts of the policy's confirmed tags as vectors (same features as the cold
    start, with the IDF of the training texts) and their themes. A text's learned score for a theme is the mean
    cosine of its ``NEAREST`` most similar confirmed texts of that theme (nearest neighbours: with a handful of
    tags per theme, close examples say more than a class average or a linear model, which measured worse)."""

    def __init__(self, classes: Sequence[int], members: array, postings: Postings, idf: Idf) -> None:
        self.classes = list(classes)  # theme ids, ascending
        self.members = members  # per confirmed text (row): the index of its theme in ``classes``
        self.postings = postings  # the confirmed texts' vectors, by feature
        self.idf = idf
        self.counts = [0] * len(self.classes)  # confirmed texts per theme
        for member in members:
            self.counts[member] += 1

    @classmethod
    def train(cls, examples: Sequence[Example], themes: Sequence[ThemeInfo]) -> LearnedModel | None:
        """None when there is nothing to learn from yet."""
        if not examples:
            return None
        counts = [term_counts(example.text, example.language) for example in examples]
        theme_counts = [term_counts(text, language) for text, language in zip(*_theme_documents(themes), strict=True)]
        idf = inverse_document_frequency(counts + theme_counts)
        classes = sorted({example.theme_id for example in examples})
        index = {theme_id: position for position, theme_id in enumerate(classes)}
        members = array("I", (index[example.theme_id] for example in examples))
        return cls(classes, members, Postings.of([weigh(row, idf) for row in counts]), idf)

    def similarities(self, counts: Vector) -> list[float]:
        """Per theme in ``classes``: the mean cosine of its ``NEAREST`` nearest confirmed texts (0 for missing)."""
        found: dict[int, list[float]] = {}
        for member, similarity in zip(self.members, self.postings.dot(weigh(counts, self.idf), len(self.members)),
                                      strict=True):
            if similarity:
                found.setdefault(member, []).append(similarity)
        best = [0.0] * len(self.classes)
        for index, similarities in found.items():
            best[index] = sum(sorted(similarities, reverse=True)[:NEAREST]) / NEAREST
        return best

    def _arrays(self) -> dict[str, array]:
        return {"members": self.members, "idf_features": self.idf.features, "idf_values": self.idf.values,
                "features": self.postings.features, "starts": self.postings.starts, "rows": self.postings.rows,
                "weights": self.postings.weights}

    def to_bytes(self) -> bytes:
        """The model as stored in ``theme_model.data``: weights as 32-bit floats, no pickles, no numpy."""
        own = self._arrays()
        arrays = {name: _typed(own[name], typecode) for name, typecode in _ARRAYS}
        header = json.dumps({
            "classes": self.classes,
            "idf_default": array("f", [self.idf.default])[0],
            "lengths": {name: len(values) for name, values in arrays.items()},
        }).encode()
        chunks = [struct.pack("<I", len(header)), header]
        for values in arrays.values():
            if _BIG_ENDIAN:
                values.byteswap()
            chunks.append(values.tobytes())
        return _FORMAT + zlib.compress(b"".join(chunks))

    @classmethod
    def from_bytes(cls, data: bytes) -> LearnedModel | None:
        """The stored model, or None for data this version cannot read (a model in an older format, or damaged:
        the worker replaces it on its next training, and suggestions meanwhile are the cold start's)."""
        if not data.startswith(_FORMAT):
            return None
        try:
            payload = zlib.decompress(data[len(_FORMAT):])
            (size,) = struct.unpack_from("<I", payload)
            header = json.loads(payload[4:4 + size])
            classes = [int(theme_id) for theme_id in header["classes"]]
            offset, arrays = 4 + size, {}
            for name, typecode in _ARRAYS:
                values = array(typecode)
                length = int(header["lengths"][name]) * values.itemsize
                if length < 0 or offset + length > len(payload):
                    raise ValueError(name)
                values.frombytes(payload[offset:offset + length])
                if _BIG_ENDIAN:
                    values.byteswap()
                arrays[name] = values
                offset += length
            _check(arrays, len(classes), offset == len(payload))
            idf = Idf(arrays["idf_features"], arrays["idf_values"], float(header["idf_default"]))
            postings = Postings(arrays["features"], arrays["starts"], arrays["rows"], arrays["weights"])
        except (zlib.error, struct.error, ValueError, KeyError, TypeError, IndexError, OverflowError):
            return None
        return cls(classes, arrays["members"], postings, idf)


def _typed(values: array, typecode: str) -> array:
    """A copy of ``values`` with ``typecode`` (doubles become the nearest 32-bit float)."""
    return array(typecode, values)


def _check(arrays: Mapping[str, array], classes: int, whole: bool) -> None:
    """Raise ValueError unless the arrays fit together (nothing a suggestion would index out of range)."""
    members, starts, rows = arrays["members"], arrays["starts"], arrays["rows"]
    if not (
        whole and members and len(arrays["idf_values"]) == len(arrays["idf_features"])
        and len(starts) == len(arrays["features"]) + 1 and starts[0] == 0 and starts[-1] == len(rows)
        and len(arrays["weights"]) == len(rows) and max(members) < classes and (not rows or max(rows) < len(members))
    ):
        raise ValueError("inconsistent theme model")


def _theme_documents(themes: Sequence[ThemeInfo]) -> tuple[list[str], list[str]]:
    texts, languages = [], []
    for theme in themes:
        for language in LANGUAGES:
            texts.append(theme.text(language))
            languages.append(language)
    return texts, languages


def _plus(first: Vector, second: Vector, weight: float = 1.0) -> Vector:
    """``first + weight * second``."""
    return {feature: first.get(feature, 0.0) + weight * second[feature] if feature in second else first[feature]
            for feature in sorted(first.keys() | second.keys())}


class Ranker:
    """The cold-start profiles of one policy's themes (per language), ready to score texts against; with
    ``vectors`` (the optional word vectors, their index loaded) each theme's embedding too: the mean of the word
    vectors of its name, description and keywords in every language."""

    def __init__(self, themes: Sequence[ThemeInfo], vectors: WordVectors | None = None) -> None:
        self.themes = list(themes)
        self.index = {theme.id: position for position, theme in enumerate(self.themes)}
        self.parents = {theme.id: theme.parent_id for theme in self.themes}
        counts = [term_counts(text, language) for text, language in zip(*_theme_documents(self.themes), strict=True)]
        self.idf = inverse_document_frequency(counts)
        self.profiles = self._profiles(counts)
        self.vectors = vectors
        self.embeddings: list[array | None] = []
        if vectors is not None:
            self.embeddings = [vectors.embed_texts((theme.text(language), language) for language in LANGUAGES)
                               for theme in self.themes]
            if not vectors.ready or not any(embedding is not None for embedding in self.embeddings):
                self.vectors, self.embeddings = None, []  # unusable, or no theme word is known: as without

    def _profiles(self, counts: Sequence[Vector]) -> dict[str, Postings]:
        """Per language, a row per theme: its own words, its parent's at ``PARENT_WEIGHT``, and its words in the
        other languages at ``OTHER_LANGUAGE_WEIGHT``; unit length, as postings."""
        weighted = [weigh(row, self.idf) for row in counts]
        own = {language: weighted[position::len(LANGUAGES)] for position, language in enumerate(LANGUAGES)}
        parents = [self.index.get(theme.parent_id) for theme in self.themes]
        profiles = {}
        for language in LANGUAGES:
            others = [other for other in LANGUAGES if other != language]
            rows = []
            for position in range(len(self.themes)):
                elsewhere: Vector = {}
                for other in others:
                    elsewhere = _plus(elsewhere, own[other][position])
                rows.append(_plus(own[language][position], elsewhere, OTHER_LANGUAGE_WEIGHT))
            rows = [row if parent is None else _plus(row, rows[parent], PARENT_WEIGHT)
                    for row, parent in zip(rows, parents, strict=True)]
            profiles[language] = Postings.of([normalised(row) for row in rows])
        return profiles

    def own_scores(self, text: str, language: str, learned: LearnedModel | None = None) -> list[float]:
        """Per theme (in ``self.themes`` order): the cosine with what the theme says about itself, plus the cosine
        with the nearest text people confirmed for it, weighed by how many they confirmed; with word vectors,
        plus ``VECTOR_WEIGHT`` times how much closer the text's embedding is to the theme's than the average."""
        if not self.themes or not text.strip():
            return [0.0] * len(self.themes)
        language = language if language in LANGUAGES else "en"
        counts = term_counts(text, language)
        scores = self.profiles[language].dot(weigh(counts, self.idf), len(self.themes))
        if self.vectors is not None:
            self._add_embedding_scores(scores, text, language)
        if learned is None:
            return scores
        for theme_id, similarity, count in zip(learned.classes, learned.similarities(counts), learned.counts,
                                               strict=True):
            if theme_id in self.index:
                weight = min(MAX_LEARNED_WEIGHT, count / (count + LEARNING_PACE))
                scores[self.index[theme_id]] += weight * similarity
        return scores

    def _add_embedding_scores(self, scores: list[float], text: str, language: str) -> None:
        """``VECTOR_WEIGHT`` times how far the text's embedding is closer to each theme's than to the themes'
        on average (at least 0), added to ``scores``; nothing when no word of the text has a vector."""
        embedding = self.vectors.embed_texts([(text, language)]) if self.vectors is not None else None
        if embedding is None:
            return
        cosines = [None if theme is None else sum(map(operator.mul, embedding, theme))  # unit vectors
                   for theme in self.embeddings]
        known = [value for value in cosines if value is not None]
        mean = sum(known) / len(known)
        for position, value in enumerate(cosines):
            if value is not None and value > mean:
                scores[position] += VECTOR_WEIGHT * (value - mean)

    def rolled_up(self, text: str, language: str, learned: LearnedModel | None = None) -> dict[int, float]:
        """Each theme scored with its descendants: the best of them."""
        own = self.own_scores(text, language, learned)
        rolled = {theme.id: own[position] for position, theme in enumerate(self.themes)}
        for theme in sorted(self.themes, key=self._depth, reverse=True):
            parent = theme.parent_id
            if parent in rolled and rolled[theme.id] > rolled[parent]:
                rolled[parent] = rolled[theme.id]
        return rolled

    def _depth(self, theme: ThemeInfo) -> int:
        depth, parent = 0, theme.parent_id
        while parent is not None and depth < 10:
            depth, parent = depth + 1, self.parents.get(parent)
        return depth

    def rank(self, text: str, language: str, learned: LearnedModel | None = None,
             among: Iterable[int] | None = None) -> list[tuple[int, float]]:
        """Theme ids with rolled-up scores, best first (only ``among`` when given)."""
        rolled = self.rolled_up(text, language, learned)
        wanted = set(among) if among is not None else None
        return sorted(((theme_id, score) for theme_id, score in rolled.items()
                       if wanted is None or theme_id in wanted), key=lambda pair: (-pair[1], pair[0]))

    def suggest(self, text: str, language: str, learned: LearnedModel | None = None,
                top: int = TOP, minimum: float = MIN_SCORE, among: Iterable[int] | None = None
                ) -> list[tuple[int, float]]:
        """The ``top`` best finest themes that reach ``minimum``; a theme and its ancestor are never both
        offered (the ancestor shows in the suggestion's path). With ``among`` (the themes a workshop works on)
        a theme outside it speaks for its nearest ancestor inside it: a workshop on "R3" alone is offered R3
        for a text about R3.1."""
        wanted = set(among) if among is not None else None
        own = self.own_scores(text, language, learned)
        ranked = sorted(((theme.id, own[position]) for position, theme in enumerate(self.themes)),
                        key=lambda pair: (-pair[1], pair[0]))
        chosen: list[tuple[int, float]] = []
        for theme_id, score in ranked:
            if score < minimum or len(chosen) == top:
                break
            if wanted is not None:
                theme_id = next((t for t in (theme_id, *self.ancestors(theme_id)) if t in wanted), None)
                if theme_id is None:
                    continue
            if any(theme_id == other or self._related(theme_id, other) for other, _ in chosen):
                continue
            chosen.append((theme_id, round(min(score, 1.0), 4)))  # the learned part can lift it past 1
        return chosen

    def _related(self, first: int, second: int) -> bool:
        return first in self.ancestors(second) or second in self.ancestors(first)

    def ancestors(self, theme_id: int) -> list[int]:
        found, parent = [], self.parents.get(theme_id)
        while parent is not None and parent not in found:
            found.append(parent)
            parent = self.parents.get(parent)
        return found
