"""How good and how fast theme suggestions are, on the labelled statements in
``feedback/themes/data/labelled.json`` (written for this: da, sv and en, as said at a workshop table).

    python -m samrad.bench_themes            (also: python -m samrad.bench --only themes)

For the Randers policy (its three themes) and the CEMR charter's areas, per language: top-1 and top-3 accuracy
at cold start (the themes' own words only), then after learning from 5, 10 and 20 confirmed tags per theme.
Learning is measured with 5-fold cross-validation over topics: the three languages of one statement are always
in the same fold, so nothing is tested on what it learned from, not even in translation. The tags it learns from
are of different statements as far as the fold has them (a translation counts only when a theme runs out); where
fewer labelled statements than asked exist for a theme, it learns from all of them (the table shows the mean
actually used).
Then the suggestion latency (the ranking a request runs, with a trained model) and the acceptance rate on the
demo's input (how often one of the top three is among the themes a person gave the item).
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from feedback.themes.features import LANGUAGES
from feedback.themes.ranking import Example, LearnedModel, Ranker
from feedback.themes.taxonomy import BUILTIN, builtin_document, theme_infos

LABELLED = Path(__file__).resolve().parent.parent / "feedback" / "themes" / "data" / "labelled.json"
FOLDS = 5
TAGS_PER_THEME = (5, 10, 20)
TARGETS = {"randers": ("top1", 0.80), "cemr": ("top3", 0.80)}
SEED = 20261202


@dataclass(frozen=True)
class Task:
    """One taxonomy as measured: which themes compete, what counts as right, what a person would confirm."""

    name: str
    ranker: Ranker
    candidates: list[int]  # the themes ranked against each other
    level_of: Callable[[int], int]  # a finest theme -> the candidate it belongs to
    truth: Callable[[dict], set[int]]  # a statement -> its right candidates
    tag: Callable[[dict], int]  # a statement -> the finest theme a person confirmed


def load_statements() -> list[dict]:
    return json.loads(LABELLED.read_text(encoding="utf-8"))["statements"]


def _tasks() -> list[Task]:
    tasks = []
    for name, label in (("randers", "randers"), ("cemr", "cemr")):
        themes = theme_infos(builtin_document(name))
        ranker = Ranker(themes)
        by_code = {theme.code: theme for theme in themes}
        if name == "randers":
            candidates = [theme.id for theme in themes if theme.parent_id is None]
        else:  # the article areas and the 2022 additions: the children of "A" and "N"
            roots = {by_code["A"].id, by_code["N"].id}
            candidates = [theme.id for theme in themes if theme.parent_id in roots]

        def level_of(theme_id: int, ranker: Ranker = ranker, candidates: frozenset = frozenset(candidates)) -> int:
            for ancestor in [theme_id, *ranker.ancestors(theme_id)]:
                if ancestor in candidates:
                    return ancestor
            return theme_id

        def codes(statement: dict, label: str = label) -> list[str]:
            value = statement[label]
            return [value] if isinstance(value, str) else list(value)

        def truth(statement: dict, codes=codes, by_code=by_code, level_of=level_of) -> set[int]:
            return {level_of(by_code[code].id) for code in codes(statement)}

        def tag(statement: dict, codes=codes, by_code=by_code) -> int:
            return by_code[codes(statement)[0]].id

        tasks.append(Task(name, ranker, candidates, level_of, truth, tag))
    return tasks


def _hits(task: Task, statement: dict, learned: LearnedModel | None) -> tuple[bool, bool]:
    ranked = task.ranker.rank(statement["text"], statement["language"], learned, among=task.candidates)
    right = task.truth(statement)
    top = [theme_id for theme_id, _ in ranked[:3]]
    return top[0] in right, bool(right & set(top))


def _folds(statements: Sequence[dict]) -> list[set[int]]:
    topics = sorted({s["topic"] for s in statements})
    random.Random(SEED).shuffle(topics)  # noqa: S311 - a fixed, repeatable split
    return [set(topics[index::FOLDS]) for index in range(FOLDS)]


def _confirmed(task: Task, pool: Sequence[dict], per_theme: int) -> dict[int, list[dict]]:
    """What people confirmed, per finest theme: ``per_theme`` statements of the (shuffled) pool, each of another
    statement first; a translation of one already taken only when the theme has no other statements left (ten
    confirmed tags are ten things people said, not three things said in three languages)."""
    by_theme: dict[int, list[dict]] = defaultdict(list)
    for statement in pool:
        by_theme[task.tag(statement)].append(statement)
    chosen = {}
    for theme_id, statements in by_theme.items():
        seen: set[int] = set()
        first, translations = [], []
        for statement in statements:
            (translations if statement["topic"] in seen else first).append(statement)
            seen.add(statement["topic"])
        chosen[theme_id] = (first + translations)[:per_theme]
    return chosen


def evaluate(task: Task, statements: Sequence[dict], per_theme: int | None) -> dict:
    """Accuracy per language: cold start when ``per_theme`` is None, else after learning that many tags."""
    hits: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    used: list[float] = []
    if per_theme is None:
        for statement in statements:
            hits[statement["language"]].append(_hits(task, statement, None))
    else:
        themes = task.ranker.themes
        for fold, test_topics in enumerate(_folds(statements)):
            pool = [s for s in statements if s["topic"] not in test_topics]
            random.Random(SEED + fold).shuffle(pool)  # noqa: S311 - repeatable
            examples = [Example(s["text"], s["language"], theme_id)
                        for theme_id, chosen in _confirmed(task, pool, per_theme).items() for s in chosen]
            used.append(len(examples) / len({example.theme_id for example in examples}))
            learned = LearnedModel.train(examples, themes)
            for statement in statements:
                if statement["topic"] in test_topics:
                    hits[statement["language"]].append(_hits(task, statement, learned))
    result = {
        language: (sum(h[0] for h in rows) / len(rows), sum(h[1] for h in rows) / len(rows), len(rows))
        for language, rows in sorted(hits.items())
    }
    all_rows = [h for rows in hits.values() for h in rows]
    result["all"] = (sum(h[0] for h in all_rows) / len(all_rows), sum(h[1] for h in all_rows) / len(all_rows),
                     len(all_rows))
    result["used"] = statistics.mean(used) if used else 0.0
    return result


def latency(task: Task, statements: Sequence[dict]) -> tuple[float, float]:
    """Milliseconds per suggestion (p50, p99) with a model trained on every statement, as a request runs it."""
    learned = LearnedModel.train([Example(s["text"], s["language"], task.tag(s)) for s in statements],
                                 task.ranker.themes)
    timings = []
    for _ in range(3):
        for statement in statements:
            started = time.perf_counter()
            task.ranker.suggest(statement["text"], statement["language"], learned)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return timings[len(timings) // 2], timings[int(len(timings) * 0.99) - 1]


def acceptance_on_demo() -> tuple[int, int, int]:
    """Of the demo's input items and the themes a person gave them, per policy: how often one of the top three
    suggestions (cold start) or its parent is among them, how often there is no suggestion, of how many."""
    from feedback.demo import INPUT, POLICY_PREFIX

    rankers: dict[str, tuple[Ranker, dict[str, int]]] = {}
    accepted = abstained = total = 0
    for text, language, *_rest, theme_keys in INPUT:
        by_policy: dict[str, set[str]] = defaultdict(set)
        for key in theme_keys:
            prefix, code = key.split("/", 1)
            by_policy[POLICY_PREFIX[prefix]].add(code)
        for policy, codes in by_policy.items():
            if policy not in rankers:
                themes = theme_infos(builtin_document(BUILTIN_BY_CODE[policy]))
                rankers[policy] = (Ranker(themes), {theme.code: theme.id for theme in themes})
            ranker, ids = rankers[policy]
            suggested = [theme_id for theme_id, _ in ranker.suggest(text, language)]
            total += 1
            abstained += not suggested
            right = {ids[code] for code in codes}
            offered = set(suggested) | {a for s in suggested for a in ranker.ancestors(s)}
            accepted += bool(right & offered)
    return accepted, abstained, total


BUILTIN_BY_CODE = {builtin_document(name)["code"]: name for name in BUILTIN}


def _pct(value: float) -> str:
    return f"{value * 100:5.1f}%"


def report() -> list[str]:
    statements = load_statements()
    counts = ", ".join(f"{sum(s['language'] == lang for s in statements)} {lang}" for lang in LANGUAGES)
    lines = [f"Theme suggestions: {len(statements)} labelled statements ({counts})"]
    missed = []
    for task in _tasks():
        lines.append("")
        lines.append(f"{task.name}: {len(task.candidates)} themes compete; top-1 / top-3 per language")
        lines.append(f"{'learned from':<22}" + "".join(f"{lang:>16}" for lang in (*LANGUAGES, "all")) + "   spread")
        for per_theme in (None, *TAGS_PER_THEME):
            result = evaluate(task, statements, per_theme)
            label = "cold start" if per_theme is None else f"{per_theme} tags/theme (~{result['used']:.1f})"
            cells = "".join(f"{_pct(result[lang][0])} {_pct(result[lang][1])}" for lang in (*LANGUAGES, "all"))
            metric, target = TARGETS[task.name]
            index = 0 if metric == "top1" else 1
            spread = max(result[lang][index] for lang in LANGUAGES) - min(result[lang][index] for lang in LANGUAGES)
            lines.append(f"{label:<22}{cells}   {spread * 100:4.1f}")
            if per_theme == 10:
                if result["all"][index] < target:
                    missed.append(f"{task.name} {metric} after 10 tags/theme: {_pct(result['all'][index])} "
                                  f"(target {_pct(target)})")
                if spread > 0.10 + 1e-9:
                    missed.append(f"{task.name}: languages {spread * 100:.1f} points apart (target 10)")
        p50, p99 = latency(task, statements)
        lines.append(f"latency per suggestion (ranking, trained model): p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    accepted, abstained, total = acceptance_on_demo()
    lines.append("")
    lines.append(f"demo input: a right theme among the top three for {accepted} of {total} item-policy pairs "
                 f"({_pct(accepted / total).strip()}), no suggestion for {abstained}")
    lines.append("targets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return lines


def main() -> None:
    for line in report():
        print(line)


if __name__ == "__main__":
    main()


# --- in ``python -m samrad.bench --only themes`` ----------------------------------------------------------

BENCH_EMAIL = "themes-bench@bench.samrad.local"
LATENCY_P99_MS = 50.0


async def _bench_token() -> str:
    from samrad.core.accounts import create_api_token, create_staff_user
    from samrad.core.tables import StaffUser

    if not await StaffUser.exists().where(StaffUser.email == BENCH_EMAIL):
        await create_staff_user(BENCH_EMAIL, "Themes bench", "themes bench password 1", "facilitator")
    return await create_api_token(BENCH_EMAIL, "themes bench")


def server_latency(base: str, token: str, statements: Sequence[dict]) -> tuple[float, float, int]:
    """Milliseconds per ``POST /api/v1/policies/{code}/suggestions`` on the running server (p50, p99), over the
    labelled statements against the demo's Randers policy and CEMR charter, and how many answers were not 200."""
    import httpx

    timings, failures = [], 0
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
        for code in ("randers-koensligestilling", "cemr-charter"):
            for statement in statements:
                started = time.perf_counter()
                response = http.post(f"/api/v1/policies/{code}/suggestions",
                                     json={"text": statement["text"], "language": statement["language"]})
                timings.append((time.perf_counter() - started) * 1000)
                failures += response.status_code != 200
    timings.sort()
    return timings[len(timings) // 2], timings[int(len(timings) * 0.99) - 1], failures


def themes_figures(bench, server) -> list[tuple]:
    """The bench's ``themes`` section (wrapped in ``samrad.bench``): prints the accuracy table and returns rows
    (figure, measured, target, met) for the targets, the latency through HTTP and the demo's acceptance."""
    import asyncio

    lines = report()
    print("\n".join(lines))
    bench.appendix.append("Theme suggestions, top-1 / top-3 per language and taxonomy:\n\n```\n" + "\n".join(lines)
                          + "\n```")
    rows: list[tuple] = []
    statements = load_statements()
    for task in _tasks():
        metric, target = TARGETS[task.name]
        index = 0 if metric == "top1" else 1
        result = evaluate(task, statements, 10)
        spread = max(result[lang][index] for lang in LANGUAGES) - min(result[lang][index] for lang in LANGUAGES)
        rows.append((f"themes: {task.name} {metric} after 10 confirmed tags per theme (5-fold)",
                     f"{_pct(result['all'][index]).strip()} (languages {spread * 100:.1f} points apart)",
                     f">= {_pct(target).strip()}, within 10 points",
                     result["all"][index] >= target and spread <= 0.10 + 1e-9))
    token = asyncio.run(_bench_token())
    with bench.sampling(server, "theme suggestions"):
        p50, p99, failures = server_latency(server.base, token, statements)
    rows.append(("POST /api/v1/policies/{code}/suggestions, one client (incl. HTTP)",
                 f"p50 {p50:.1f} ms, p99 {p99:.1f} ms" + (f", {failures} failed" if failures else ""),
                 f"p99 < {LATENCY_P99_MS:.0f} ms", p99 < LATENCY_P99_MS and not failures))
    accepted, _abstained, total = acceptance_on_demo()
    rows.append(("themes: a right theme among the top three on the demo input (cold start)",
                 f"{accepted} of {total} ({_pct(accepted / total).strip()})", "", None))
    return rows
