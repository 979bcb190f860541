"""Taxonomy files: a policy and its theme tree as JSON (everything) or CSV (the themes, for spreadsheets), read
and checked into one plain document, and written back out. The built-in taxonomies are such JSON files in
``feedback/themes/taxonomies/``.

A document is ``{"format": "samrad-taxonomy", "version": 1, "code", "kind", "name", "description",
"themes": [{"code", "name", "description", "colour", "keywords", "children": [...]}]}``. Every problem found is
reported at once, with the CSV row or the theme it concerns; reading never touches the database, so a file with
any problem stores nothing (``services.import_taxonomy`` stores a clean document in one transaction).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feedback.tables import PolicyKind
from samrad.core.contrast import parse_hex, readable_background
from samrad.core.exports import FORMULA_STARTS
from samrad.core.i18n import N_, _
from samrad.core.settings import LOCALES

if TYPE_CHECKING:
    from feedback.themes.ranking import ThemeInfo

FORMAT = "samrad-taxonomy"
MAX_DEPTH = 3
MAX_THEMES = 500
MAX_FILE_BYTES = 1_000_000
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_KEYWORDS = 50
MAX_KEYWORD = 60
DEFAULT_COLOUR = "#1f5f8b"
TAXONOMY_DIR = Path(__file__).resolve().parent / "taxonomies"
# Built-in taxonomies by the name ``samrad taxonomy load NAME`` takes.
BUILTIN = ("randers", "cemr", "lerum")
CSV_COLUMNS = (
    "code", "parent", "colour", *(f"name_{lang}" for lang in LOCALES),
    *(f"description_{lang}" for lang in LOCALES), *(f"keywords_{lang}" for lang in LOCALES),
)
_FORMULA_START = FORMULA_STARTS  # = + - @, and a tab or carriage return before one (as every export guards)


class TaxonomyError(Exception):
    """A file that cannot be imported; ``problems`` lists every reason, each a translated sentence."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def builtin_document(name: str) -> dict[str, Any]:
    if name not in BUILTIN:
        raise TaxonomyError([_("There is no built-in taxonomy called %(name)s.", name=name)])
    return json.loads((TAXONOMY_DIR / f"{name}.json").read_text(encoding="utf-8"))


def walk(themes: Sequence[Mapping[str, Any]], parent: str | None = None, level: int = 1
         ) -> Iterator[tuple[Mapping[str, Any], str | None, int]]:
    """Every theme of a document with its parent's code and its level, parents before children."""
    for theme in themes:
        yield theme, parent, level
        yield from walk(theme.get("children") or (), theme["code"], level + 1)


def theme_infos(document: Mapping[str, Any]) -> list[ThemeInfo]:
    """A document's themes as the ranking sees them, numbered in document order (for measuring without a
    database)."""
    from feedback.themes.ranking import ThemeInfo  # the engine loads on first use

    ids: dict[str, int] = {}
    infos = []
    for number, (theme, parent, _level) in enumerate(walk(document["themes"]), start=1):
        ids[theme["code"]] = number
        infos.append(ThemeInfo(number, theme["code"], ids.get(parent) if parent else None, theme["name"],
                               theme.get("description") or {}, theme.get("keywords") or {}))
    return infos


# --- reading JSON -----------------------------------------------------------------------------------------

def read_json(data: bytes) -> dict[str, Any]:
    """A whole taxonomy (policy and themes) from a JSON file; raises ``TaxonomyError``."""
    if len(data) > MAX_FILE_BYTES:
        raise TaxonomyError([_("The file is larger than 1 MB.")])
    try:
        text = data.decode("utf-8-sig")
        raw = json.loads(text)
    except UnicodeDecodeError:
        raise TaxonomyError([_("The file is not UTF-8 text.")]) from None
    except json.JSONDecodeError as error:
        raise TaxonomyError([_("The file is not valid JSON (line %(line)s, column %(column)s).",
                               line=error.lineno, column=error.colno)]) from None
    except RecursionError:
        raise TaxonomyError([_("The file is not valid JSON: its lists and objects nest too deeply.")]) from None
    if "\x00" in text or "\\u0000" in text:
        raise TaxonomyError([_(NOT_TEXT)])
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise TaxonomyError([_("The file is not a Samråd taxonomy: it must be a JSON object with "
                               "\"format\": \"samrad-taxonomy\".")])
    problems: list[str] = []
    policy = check_policy(raw, problems)
    themes = raw.get("themes")
    if not isinstance(themes, list):
        problems.append(_("The taxonomy has no list of themes (\"themes\")."))
        themes = []
    checked = _check_json_themes(themes, problems, level=1, seen=set(), where=[])
    if problems:
        raise TaxonomyError(problems)
    return {**policy, "themes": checked}


def check_policy(raw: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """The policy's own fields (code, kind, name, description)."""
    code = raw.get("code")
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        problems.append(_("The policy code must be 1 to 40 letters, digits, dots, hyphens or underscores."))
    kind = raw.get("kind")
    if kind not in {k.value for k in PolicyKind}:
        problems.append(_("The policy kind must be one of: %(kinds)s.", kinds=", ".join(k.value for k in PolicyKind)))
    name = _translations(raw.get("name"), MAX_NAME)
    if name is None or not any(name.values()):
        problems.append(_("The policy needs a name in at least one language (da, sv or en), at most %(max)s "
                          "characters.", max=MAX_NAME))
    description = _translations(raw.get("description") or {}, MAX_DESCRIPTION)
    if description is None:
        problems.append(_("The policy description must be text per language (da, sv, en), at most %(max)s "
                          "characters.", max=MAX_DESCRIPTION))
    return {"format": FORMAT, "version": 1, "code": code, "kind": kind, "name": name or {},
            "description": description or {}}


def _check_json_themes(themes: list[Any], problems: list[str], *, level: int, seen: set[str],
                       where: list[str]) -> list[dict[str, Any]]:
    checked = []
    for position, raw in enumerate(themes, start=1):
        label = " › ".join([*where, str(raw.get("code") if isinstance(raw, dict) and raw.get("code") else position)])
        if not isinstance(raw, dict):
            problems.append(_("Theme %(theme)s: must be a JSON object.", theme=label))
            continue
        theme, theme_problems = check_theme_fields(raw)
        problems.extend(_("Theme %(theme)s: %(problem)s", theme=label, problem=p) for p in theme_problems)
        if theme["code"] in seen:
            problems.append(_("Theme %(theme)s: the code %(code)s is used twice.", theme=label, code=theme["code"]))
        seen.add(theme["code"])
        children = raw.get("children") or []
        if not isinstance(children, list):
            problems.append(_("Theme %(theme)s: \"children\" must be a list.", theme=label))
            children = []
        if children and level >= MAX_DEPTH:
            problems.append(_("Theme %(theme)s: a theme tree has at most three levels.", theme=label))
            children = []
        theme["children"] = _check_json_themes(children, problems, level=level + 1, seen=seen,
                                               where=[*where, theme["code"] or str(position)])
        checked.append(theme)
        if len(seen) > MAX_THEMES:
            problems.append(_("A taxonomy has at most %(max)s themes.", max=MAX_THEMES))
            break
    return checked


def check_theme_fields(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """One theme's own fields, checked: the cleaned theme and what is wrong with it (untranslated context-free
    sentences the caller prefixes with the row or theme)."""
    problems = []
    code = raw.get("code")
    if not isinstance(code, str) or not CODE_PATTERN.match(code.strip()):
        problems.append(_("the code must be 1 to 40 letters, digits, dots, hyphens or underscores."))
        code = code if isinstance(code, str) else ""
    name = _translations(raw.get("name"), MAX_NAME)
    if name is None or not any(name.values()):
        problems.append(_("a name is needed in at least one language, at most %(max)s characters.", max=MAX_NAME))
    description = _translations(raw.get("description") or {}, MAX_DESCRIPTION)
    if description is None:
        problems.append(_("the description must be text per language, at most %(max)s characters.",
                          max=MAX_DESCRIPTION))
    colour = raw.get("colour") or DEFAULT_COLOUR
    colour_problem = colour_error(colour) if isinstance(colour, str) else _("the colour must be written #rrggbb.")
    if colour_problem:
        problems.append(colour_problem)
    keywords = _keywords(raw.get("keywords") or {})
    if keywords is None:
        problems.append(_("keywords must be lists of words per language, at most %(count)s words of at most "
                          "%(length)s characters each.", count=MAX_KEYWORDS, length=MAX_KEYWORD))
    theme = {"code": code.strip(), "name": name or {}, "description": description or {},
             "colour": colour.lower() if isinstance(colour, str) else DEFAULT_COLOUR, "keywords": keywords or {}}
    return theme, problems


def colour_error(colour: str) -> str | None:
    """Why a theme colour cannot be used, or None: it must be #rrggbb, and black or white text on it must reach
    the AA contrast for normal text (4.5:1)."""
    if parse_hex(colour) is None:
        return _("the colour must be written #rrggbb, for example #1f5f8b.")
    if not readable_background(colour):
        return _("neither black nor white text on the colour %(colour)s reaches a contrast of 4.5:1; choose a "
                 "darker or a lighter colour.", colour=colour)
    return None


def _translations(value: Any, limit: int) -> dict[str, str] | None:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        return None
    if set(value) - set(LOCALES) or any(len(v) > limit for v in value.values()):
        return None
    return {lang: value[lang].strip() for lang in LOCALES if value.get(lang, "").strip()}


def _keywords(value: Any) -> dict[str, list[str]] | None:
    if not isinstance(value, dict) or set(value) - set(LOCALES):
        return None
    cleaned = {}
    for lang in LOCALES:
        words = value.get(lang) or []
        if isinstance(words, str):
            words = split_keywords(words)
        if not isinstance(words, list) or len(words) > MAX_KEYWORDS:
            return None
        if any(not isinstance(w, str) or len(w.strip()) > MAX_KEYWORD for w in words):
            return None
        if words := [w.strip() for w in words if w.strip()]:
            cleaned[lang] = words
    return cleaned


def split_keywords(text: str) -> list[str]:
    """Keywords as typed in a form or a CSV cell: separated by semicolons, commas or new lines."""
    return [word.strip() for word in re.split(r"[;,\n]", text) if word.strip()]


# --- reading CSV ------------------------------------------------------------------------------------------

def read_csv(data: bytes) -> list[dict[str, Any]]:
    """The theme tree from a CSV file (one theme per row, ``parent`` naming another row's code); raises
    ``TaxonomyError`` listing every bad row by its row number (the header is row 1)."""
    if len(data) > MAX_FILE_BYTES:
        raise TaxonomyError([_("The file is larger than 1 MB.")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TaxonomyError([_("The file is not UTF-8 text. Save it from your spreadsheet as \"CSV UTF-8\".")]) \
            from None
    if "\x00" in text:
        raise TaxonomyError([_(NOT_TEXT)])
    try:
        rows = csv_rows(text)
    except csv.Error:
        raise TaxonomyError([_(NOT_CSV)]) from None
    if not rows:
        raise TaxonomyError([_("The file is empty.")])
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [column for column in ("code", "parent") if column not in header]
    if missing or not any(f"name_{lang}" in header for lang in LOCALES):
        raise TaxonomyError([_("Row 1 must name the columns: code, parent and at least one of name_da, "
                               "name_sv, name_en (also possible: %(columns)s).", columns=", ".join(CSV_COLUMNS))])
    unknown = [column for column in header if column and column not in CSV_COLUMNS]
    if unknown:
        raise TaxonomyError([_("Row 1 names columns Samråd does not know: %(columns)s.", columns=", ".join(unknown))])
    problems: list[str] = []
    flat: list[tuple[int, dict[str, Any], str]] = []
    codes: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {column: _unguard(row[index]) if index < len(row) else "" for index, column in enumerate(header)}
        raw = {
            "code": cells.get("code", "").strip(),
            "colour": cells.get("colour", "").strip(),
            "name": {lang: cells.get(f"name_{lang}", "") for lang in LOCALES},
            "description": {lang: cells.get(f"description_{lang}", "") for lang in LOCALES},
            "keywords": {lang: split_keywords(cells.get(f"keywords_{lang}", "")) for lang in LOCALES},
        }
        theme, theme_problems = check_theme_fields(raw)
        problems.extend(_("Row %(row)s: %(problem)s", row=number, problem=p) for p in theme_problems)
        if theme["code"] and theme["code"] in codes:
            problems.append(_("Row %(row)s: the code %(code)s is already used in row %(first)s.", row=number,
                              code=theme["code"], first=codes[theme["code"]]))
        codes.setdefault(theme["code"], number)
        flat.append((number, theme, cells.get("parent", "").strip()))
    if len(flat) > MAX_THEMES:
        problems.append(_("A taxonomy has at most %(max)s themes.", max=MAX_THEMES))
    if not flat:
        problems.append(_("The file has no themes: add one row per theme below the column names."))
    tree = _build_tree(flat, codes, problems)
    if problems:
        raise TaxonomyError(problems)
    return tree


# What a file holds that no spreadsheet cell or text should (a NUL character, which no database takes either),
# and a CSV file the csv module gives up on (a cell over its size limit, a quote never closed).
NOT_TEXT = N_("The file holds a character that is not text (NUL). Save it again from your spreadsheet or editor.")
NOT_CSV = N_("The file could not be read as CSV: a cell may be far too long, or a quote never closed.")


def csv_rows(text: str) -> list[list[str]]:
    """The rows of a CSV text, comma, semicolon or tab separated; raises ``csv.Error``."""
    return list(csv.reader(io.StringIO(text), dialect=_dialect(text)))


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _unguard(cell: str) -> str:
    """Undo the apostrophe an export puts before a cell that would start a spreadsheet formula."""
    return cell[1:] if cell.startswith("'") and cell[1:2] in _FORMULA_START else cell


def _build_tree(flat: list[tuple[int, dict[str, Any], str]], codes: dict[str, int],
                problems: list[str]) -> list[dict[str, Any]]:
    by_code = {theme["code"]: (number, theme, parent) for number, theme, parent in flat}
    roots = []
    for number, theme, parent in flat:
        theme["children"] = []
        if not parent:
            continue
        if parent not in codes:
            problems.append(_("Row %(row)s: the parent %(parent)s is not the code of any row.", row=number,
                              parent=parent))
            continue
        depth, seen, current = 1, {theme["code"]}, parent
        while current:
            if current in seen:
                problems.append(_("Row %(row)s: the parents go round in a circle.", row=number))
                break
            seen.add(current)
            depth += 1
            current = by_code[current][2] if current in by_code else ""
        else:
            if depth > MAX_DEPTH:
                problems.append(_("Row %(row)s: a theme tree has at most three levels.", row=number))
    if problems:
        return []
    for _number, theme, parent in flat:
        (by_code[parent][1]["children"] if parent else roots).append(theme)
    return roots


# --- writing ----------------------------------------------------------------------------------------------

def to_json(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def to_csv(themes: Sequence[Mapping[str, Any]]) -> bytes:
    """The theme tree, one row per theme, parents first; UTF-8 with a BOM so spreadsheets read the letters,
    and a guard against cells being taken for formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for theme, parent, _level in walk(themes):
        row = [theme["code"], parent or "", theme.get("colour") or ""]
        row += [theme["name"].get(lang, "") for lang in LOCALES]
        row += [(theme.get("description") or {}).get(lang, "") for lang in LOCALES]
        row += ["; ".join((theme.get("keywords") or {}).get(lang, [])) for lang in LOCALES]
        writer.writerow([_guard(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _guard(cell: str) -> str:
    return f"'{cell}" if cell.startswith(_FORMULA_START) else cell
