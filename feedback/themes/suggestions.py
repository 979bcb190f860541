"""Theme suggestions for a text: the themes of a policy ranked by ``feedback.themes.ranking``, best first, at
most three, or none when nothing is confident enough.

A server keeps, per policy, the ranking built from the themes (rebuilt when a theme changes) and the model the
worker learned from confirmed tags (reloaded when its version moves): a request costs two small queries and a
few milliseconds of arithmetic, and never trains anything. Suggestions are only ever offered: a tag is stored
when a person picks or accepts one (``feedback.tagging.set_tags``).

With ``SAMRAD_THEME_VECTORS_DIR`` set, the rankings use the word vectors in that folder too
(``feedback.themes.vectors``): their index is built in a thread on the first suggestion, which waits for it; a
folder that cannot be used is warned about once and suggestions go on without it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from feedback.tables import Policy, Theme, ThemeModel
from samrad.core.settings import LOCALES, get_settings

if TYPE_CHECKING:
    from feedback.themes.ranking import LearnedModel, Ranker
    from feedback.themes.vectors import WordVectors

MAX_TEXT = 2000


@dataclass(frozen=True)
class Suggestion:
    theme_id: int
    code: str
    name: str
    path: list[str]
    score: float

    def as_json(self) -> dict[str, Any]:
        return {"theme_id": self.theme_id, "code": self.code, "name": self.name, "path": self.path,
                "score": self.score}


@dataclass
class _Cached:
    signature: str
    ranker: Ranker
    rows: dict[int, dict[str, Any]]
    model_version: int = -1
    model: LearnedModel | None = None
    vectors: WordVectors | None = None


_cache: dict[int, _Cached] = {}
_vectors: dict[str, WordVectors] = {}  # per folder: one index per process, one warning for a bad folder


async def _word_vectors() -> WordVectors | None:
    """The word vectors of ``SAMRAD_THEME_VECTORS_DIR`` with their index built, or None (not set, or not usable)."""
    folder = get_settings().theme_vectors_dir
    if not folder:
        return None
    from feedback.themes.vectors import WordVectors

    vectors = _vectors.get(folder)
    if vectors is None:
        vectors = _vectors[folder] = WordVectors(folder)
    if not (vectors.ready or vectors.failed):
        await asyncio.to_thread(vectors.load)  # one pass over the file; the event loop goes on meanwhile
    return vectors if vectors.ready else None


_THEMES_AND_MODEL = (
    "SELECT t.id, t.parent, t.code, t.name, t.description, t.keywords, "
    "(SELECT m.version FROM theme_model m WHERE m.policy = {}) AS model_version "
    "FROM theme t WHERE t.policy = {} AND t.archived_at IS NULL ORDER BY t.id"
)
_JSON_FIELDS = ("name", "description", "keywords")


async def _policy_state(policy_id: int) -> _Cached:
    """The policy's ranking and learned model, from this process's memory while both are current: one query
    reads the active themes and the model's version; the model itself only when its version moved."""
    # The engine (plain Python, with its stemmers) loads on the first suggestion, not when the app starts.
    from feedback.themes.ranking import LearnedModel, Ranker, ThemeInfo

    vectors = await _word_vectors()
    rows = await Theme.raw(_THEMES_AND_MODEL, policy_id, policy_id)
    model_version = rows[0]["model_version"] if rows else None
    rows = [{key: (json.loads(value) if key in _JSON_FIELDS and isinstance(value, str) else value)
             for key, value in row.items() if key != "model_version"} for row in rows]
    signature = hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    cached = _cache.get(policy_id)
    if cached is None or cached.signature != signature or cached.vectors is not vectors:
        active = {row["id"] for row in rows}
        infos = [ThemeInfo(row["id"], row["code"], row["parent"] if row["parent"] in active else None,
                           row["name"] or {}, row["description"] or {}, row["keywords"] or {}) for row in rows]
        # With word vectors the themes' are read from their file: in a thread, off the event loop.
        ranker = Ranker(infos) if vectors is None else await asyncio.to_thread(Ranker, infos, vectors)
        cached = _Cached(signature, ranker, {row["id"]: row for row in rows}, vectors=vectors)
        _cache[policy_id] = cached
    if model_version is None:
        cached.model_version, cached.model = -1, None
    elif model_version != cached.model_version:
        stored = await ThemeModel.select(ThemeModel.version, ThemeModel.data).where(
            ThemeModel.policy == policy_id).first()
        cached.model_version = stored["version"]
        cached.model = LearnedModel.from_bytes(bytes(stored["data"])) if stored["data"] else None
    return cached


def _name(names: dict[str, str], language: str) -> str:
    return names.get(language) or next((names[lang] for lang in LOCALES if names.get(lang)), "")


async def suggest(policy_id: int, text: str, language: str, among: Iterable[int] | None = None
                  ) -> list[Suggestion]:
    """The best (at most three) themes of the policy for ``text``, or none; only themes in ``among`` when
    given (the themes a workshop works on)."""
    state = await _policy_state(policy_id)
    text = text[:MAX_TEXT]
    ranked = state.ranker.suggest(text, language, state.model, among=among)
    result = []
    for theme_id, score in ranked:
        path = [state.rows[a]["code"] for a in reversed(state.ranker.ancestors(theme_id)) if a in state.rows]
        row = state.rows[theme_id]
        result.append(Suggestion(theme_id, row["code"], _name(row["name"] or {}, language),
                                 [*path, row["code"]], score))
    return result


async def suggest_for_themes(theme_ids: Sequence[int], text: str, language: str) -> list[Suggestion]:
    """Suggestions among ``theme_ids`` (what a workshop or event works on, across their policies), best first,
    at most three."""
    if not theme_ids or not text.strip():
        return []
    rows = await Theme.select(Theme.id, Theme.policy).where(Theme.id.is_in(list(theme_ids)))
    by_policy: dict[int, list[int]] = {}
    for row in rows:
        by_policy.setdefault(row["policy"], []).append(row["id"])
    found: list[Suggestion] = []
    for policy_id, ids in sorted(by_policy.items()):
        found += await suggest(policy_id, text, language, among=ids)
    return sorted(found, key=lambda s: (-s.score, s.theme_id))[:3]


async def policies_with_themes() -> list[dict[str, Any]]:
    """Every policy with its active themes in back-office order (depth first, by position), for the API."""
    policies = await Policy.select(Policy.id, Policy.code, Policy.kind, Policy.name).order_by(Policy.id) \
        .output(load_json=True)
    themes = await Theme.select(Theme.id, Theme.policy, Theme.parent, Theme.code, Theme.name, Theme.position,
                                Theme.colour).where(Theme.archived_at.is_null()) \
        .order_by(Theme.position).order_by(Theme.id).output(load_json=True)
    children: dict[tuple[int, int | None], list[dict[str, Any]]] = {}
    for row in themes:
        children.setdefault((row["policy"], row["parent"]), []).append(row)

    def ordered(policy_id: int, parent: int | None) -> list[dict[str, Any]]:
        out = []
        for row in children.get((policy_id, parent), []):
            out.append(row)
            out += ordered(policy_id, row["id"])
        return out

    return [{**policy, "themes": ordered(policy["id"], None)} for policy in policies]
