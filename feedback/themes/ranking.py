"""Ranking a policy's themes for a text: what each theme says about itself (cold start), plus what people
confirmed (a nearest-neighbour model of the policy's confirmed tags), scored on the finest themes and rolled up
to their parents.

Plain computation on plain values: ``feedback.themes.suggestions`` feeds it the themes and the stored model,
``feedback.themes.learning`` trains the model in the worker, ``samrad.bench_themes`` measures it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.preprocessing import normalize

from feedback.themes.features import LANGUAGES, inverse_document_frequency, term_counts, weigh

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


class LearnedModel:
    """What people confirmed: the texts of the policy's confirmed tags as vectors (same features as the cold
    start, with the IDF of the training texts) and their themes. A text's learned score for a theme is the mean
    cosine of its ``NEAREST`` most similar confirmed texts of that theme (nearest neighbours: with a handful of
    tags per theme, close examples say more than a class average or a linear model, which measured worse)."""

    def __init__(self, classes: np.ndarray, members: np.ndarray, vectors: sparse.csr_matrix, idf: np.ndarray
                 ) -> None:
        self.classes = classes  # theme ids
        self.members = members  # per confirmed text: the index of its theme in ``classes``
        self.vectors = vectors
        self.idf = idf
        self.vectors_t = sparse.csr_matrix(vectors.T)  # row per feature: a text's few features pick few rows
        self.counts = np.bincount(members, minlength=len(classes))

    @classmethod
    def train(cls, examples: Sequence[Example], themes: Sequence[ThemeInfo]) -> LearnedModel | None:
        """None when there is nothing to learn from yet."""
        if not examples:
            return None
        labels = np.array([example.theme_id for example in examples])
        counts = term_counts([e.text for e in examples], [e.language for e in examples])
        theme_counts = term_counts(*_theme_documents(themes))
        idf = inverse_document_frequency(sparse.vstack([counts, theme_counts], format="csr"))
        classes, members = np.unique(labels, return_inverse=True)
        return cls(classes, members, weigh(counts, idf), idf)

    def similarities(self, counts: sparse.csr_matrix) -> np.ndarray:
        """Per theme in ``classes``: the mean cosine of its ``NEAREST`` nearest confirmed texts (0 for missing)."""
        each = (weigh(counts, self.idf) @ self.vectors_t).toarray()[0]
        best = np.zeros(len(self.classes))
        for index in range(len(self.classes)):
            mine = np.sort(each[self.members == index])[::-1][:NEAREST]
            best[index] = mine.sum() / NEAREST
        return best

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer, classes=self.classes, members=self.members, data=self.vectors.data.astype(np.float32),
            indices=self.vectors.indices, indptr=self.vectors.indptr, shape=np.array(self.vectors.shape),
            idf=self.idf.astype(np.float32),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> LearnedModel:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            vectors = sparse.csr_matrix(
                (arrays["data"].astype(np.float64), arrays["indices"], arrays["indptr"]),
                shape=tuple(arrays["shape"]),
            )
            return cls(arrays["classes"], arrays["members"], vectors, arrays["idf"].astype(np.float64))


def _theme_documents(themes: Sequence[ThemeInfo]) -> tuple[list[str], list[str]]:
    texts, languages = [], []
    for theme in themes:
        for language in LANGUAGES:
            texts.append(theme.text(language))
            languages.append(language)
    return texts, languages


class Ranker:
    """The cold-start profiles of one policy's themes (per language), ready to score texts against."""

    def __init__(self, themes: Sequence[ThemeInfo]) -> None:
        self.themes = list(themes)
        self.index = {theme.id: position for position, theme in enumerate(self.themes)}
        self.parents = {theme.id: theme.parent_id for theme in self.themes}
        texts, languages = _theme_documents(self.themes)
        counts = term_counts(texts, languages) if self.themes else sparse.csr_matrix((0, 0))
        self.idf = inverse_document_frequency(counts) if self.themes else np.zeros(0)
        self.profiles = self._profiles(counts) if self.themes else {}

    def _profiles(self, counts: sparse.csr_matrix) -> dict[str, sparse.csr_matrix]:
        """Per language, a row per theme: its own words, its parent's at ``PARENT_WEIGHT``, and its words in the
        other languages at ``OTHER_LANGUAGE_WEIGHT``."""
        weighted = weigh(counts, self.idf)
        own = {language: weighted[position::len(LANGUAGES)] for position, language in enumerate(LANGUAGES)}
        parent_rows = sparse.csr_matrix(
            ([1.0] * sum(1 for t in self.themes if t.parent_id in self.index),
             ([i for i, t in enumerate(self.themes) if t.parent_id in self.index],
              [self.index[t.parent_id] for t in self.themes if t.parent_id in self.index])),
            shape=(len(self.themes), len(self.themes)),
        )
        profiles = {}
        for language in LANGUAGES:
            others = sum(own[other] for other in LANGUAGES if other != language)
            rows = own[language] + OTHER_LANGUAGE_WEIGHT * others
            rows = rows + PARENT_WEIGHT * (parent_rows @ rows)
            profiles[language] = sparse.csr_matrix(_normalise_rows(rows).T)  # row per feature, as coef_t
        return profiles

    def own_scores(self, text: str, language: str, learned: LearnedModel | None = None) -> np.ndarray:
        """Per theme (in ``self.themes`` order): the cosine with what the theme says about itself, plus the cosine
        with the nearest text people confirmed for it, weighed by how many they confirmed."""
        if not self.themes or not text.strip():
            return np.zeros(len(self.themes))
        language = language if language in LANGUAGES else "en"
        counts = term_counts([text], [language])
        cold = (weigh(counts, self.idf) @ self.profiles[language]).toarray()[0]
        if learned is None:
            return cold
        scores = cold.copy()
        for theme_id, similarity, count in zip(learned.classes.tolist(), learned.similarities(counts),
                                               learned.counts.tolist(), strict=True):
            if theme_id in self.index:
                weight = min(MAX_LEARNED_WEIGHT, count / (count + LEARNING_PACE))
                position = self.index[theme_id]
                scores[position] = cold[position] + weight * similarity
        return scores

    def rolled_up(self, text: str, language: str, learned: LearnedModel | None = None) -> dict[int, float]:
        """Each theme scored with its descendants: the best of them."""
        own = self.own_scores(text, language, learned)
        rolled = {theme.id: float(own[position]) for position, theme in enumerate(self.themes)}
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
                top: int = TOP, minimum: float = MIN_SCORE) -> list[tuple[int, float]]:
        """The ``top`` best finest themes that reach ``minimum``; a theme and its ancestor are never both
        offered (the ancestor shows in the suggestion's path)."""
        own = self.own_scores(text, language, learned)
        ranked = sorted(((theme.id, float(own[position])) for position, theme in enumerate(self.themes)),
                        key=lambda pair: (-pair[1], pair[0]))
        chosen: list[tuple[int, float]] = []
        for theme_id, score in ranked:
            if score < minimum or len(chosen) == top:
                break
            if any(self._related(theme_id, other) for other, _ in chosen):
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


def _normalise_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    return normalize(sparse.csr_matrix(matrix))
