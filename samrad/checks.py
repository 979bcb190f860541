"""Developer checks run by make and CI: migrations against PostgreSQL and message extraction.

    python -m samrad.checks migrations --database-url postgresql://...
    python -m samrad.checks extract-messages
    python -m samrad.checks check-messages

The benchmark is its own module (``python -m samrad.bench``, ``make bench``).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from samrad.core.i18n import CATALOGS, TRANSLATIONS_DIR, catalog_name
from samrad.core.settings import ROOT

APPS = ("samrad", "events", "workshops", "feedback")


def _run(args: list[str], env: dict[str, str], cwd: Path = ROOT) -> str:
    result = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        sys.stdout.write(result.stdout + result.stderr)
        raise SystemExit(f"failed: {' '.join(args)}")
    return result.stdout + result.stderr


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def check_migrations(database_url: str) -> int:
    """Migrations apply to an empty PostgreSQL database, all are recorded, and the tables need no new one."""
    name = f"samrad_migcheck_{uuid.uuid4().hex[:8]}"
    target = urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))
    asyncio.run(_admin(database_url, f'CREATE DATABASE "{name}"'))
    scratch = Path(tempfile.mkdtemp(prefix="samrad-migcheck-"))
    try:
        env = {**os.environ, "DATABASE_URL": target, "PICCOLO_CONF": "piccolo_conf", "SAMRAD_DATA_DIR": str(scratch)}
        _run([sys.executable, "-m", "samrad", "migrate"], env)
        listing = _run([sys.executable, "-m", "piccolo.main", "migrations", "check"], env)
        pending = [line for line in listing.splitlines() if line.rstrip().endswith("| False")]
        if pending:
            raise SystemExit("migrations not applied:\n" + "\n".join(pending))
        copy = scratch / "tree"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "data", "node_modules", "*.pyc"))
        before = {app: set((copy / app / "piccolo_migrations").glob("*.py")) for app in APPS}
        for app in APPS:
            _run([sys.executable, "-m", "piccolo.main", "migrations", "new", app, "--auto"], env, cwd=copy)
        missing = [app for app in APPS if set((copy / app / "piccolo_migrations").glob("*.py")) != before[app]]
        if missing:
            raise SystemExit(f"tables changed without a migration in: {', '.join(missing)}")
        print(f"migrations ok: {len(listing.splitlines())} lines checked, no model changes without a migration")
        return 0
    finally:
        asyncio.run(_admin(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(scratch, ignore_errors=True)


# --- messages ------------------------------------------------------------------------------------------

MESSAGE_SOURCES = ("samrad", "events", "workshops", "feedback", "templates")
MESSAGE_KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}
SOURCE_LOCALE = "en"
MSGID_BUGS_ADDRESS = "Samråd contributors"
_HEADER_COMMENT = """\
# Samråd message catalog: PROJECT VERSION.
# Updated by `make messages`; translate the empty and fuzzy entries.
# This file is distributed under the same license as the PROJECT project (EUPL-1.2).
#"""
_PLACEHOLDER = re.compile(r"%(?:\((\w*)\))?[-#0 +]?(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([diouxXeEfFgGcrs%])")


def extract_template() -> Catalog:
    """Every translatable string in the code and templates, as a catalog template (the .pot), in memory."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    template = Catalog(
        header_comment=_HEADER_COMMENT,
        project="Samråd",
        version="1.0",
        copyright_holder="Samråd contributors",
        msgid_bugs_address=MSGID_BUGS_ADDRESS,
        last_translator="Samråd contributors",
        charset="utf-8",
        fuzzy=False,
    )
    for source in MESSAGE_SOURCES:
        extracted = extract_from_dir(
            ROOT / source,
            method_map,
            options_map,
            keywords=MESSAGE_KEYWORDS,
            comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True,
            directory_filter=lambda path: Path(path).name not in {"piccolo_migrations", "__pycache__"},
        )
        for filename, lineno, message, comments, context in extracted:
            template.add(
                message,
                None,
                [(f"{source}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def catalog_path(locale: str, name: str = "messages") -> Path:
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{name}.po"


def _read(path: Path, locale: str) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def read_catalog(locale: str) -> Catalog:
    """The locale's catalogs merged into one (``messages`` first, then each area's)."""
    merged = _read(catalog_path(locale), locale)
    for name in CATALOGS[1:]:
        if catalog_path(locale, name).exists():
            for message in _read(catalog_path(locale, name), locale):
                if message.id:
                    merged[message.id] = message
    return merged


def split_template(template: Catalog) -> dict[str, Catalog]:
    """The template cut into one per catalog: a message goes where it is first used."""
    parts = {name: Catalog(header_comment=template.header_comment, project=template.project,
                           version=template.version, charset="utf-8", fuzzy=False) for name in CATALOGS}
    for message in template:
        if not message.id:
            continue
        name = catalog_name(message.locations[0][0]) if message.locations else "messages"
        parts[name][message.id] = message
    return parts


def placeholders(text: str) -> set[str]:
    """Named ``%(name)s`` placeholders of a string (``%%`` is a literal percent sign, not a placeholder)."""
    return {name if name is not None else f"<positional {kind}>" for name, kind in _PLACEHOLDER.findall(text)
            if kind != "%"}


def _formats(text: str) -> bool:
    class _Any(dict):
        def __missing__(self, key: str) -> int:
            return 1

    try:
        text % _Any()
    except (TypeError, ValueError, KeyError):
        return False
    return True


def catalog_problems(locale: str, template: Catalog | None = None, catalog: Catalog | None = None) -> list[str]:
    """What stops ``locale``'s catalog from being complete: missing, empty, fuzzy or mis-formatted entries."""
    template = template or extract_template()
    if catalog is None:
        path = catalog_path(locale)
        if not path.exists():
            return [f"{locale}: no catalog at {path.relative_to(ROOT)}"]
        catalog = read_catalog(locale)
    problems: list[str] = []
    for message in template:
        if not message.id:
            continue
        entry = catalog.get(message.id, context=message.context)
        label = message.id[0] if isinstance(message.id, tuple) else message.id
        label = f"{locale}: {label[:70]!r}"
        if entry is None:
            problems.append(f"{label} is missing (run `make messages`)")
            continue
        if isinstance(message.id, tuple) != isinstance(entry.id, tuple) or entry.id != message.id:
            problems.append(f"{label} has a different plural form in the catalog (run `make messages`)")
            continue
        if entry.fuzzy:
            problems.append(f"{label} is marked fuzzy")
        strings = list(entry.string) if isinstance(entry.string, tuple) else [entry.string]
        if not all(strings):
            problems.append(f"{label} is not translated")
            continue
        if isinstance(entry.id, tuple):
            expected = placeholders(entry.id[0]) | placeholders(entry.id[1])
            if len(strings) != catalog.num_plurals:
                problems.append(f"{label} has {len(strings)} plural forms, expected {catalog.num_plurals}")
            for form in strings:
                names = placeholders(form)
                # A singular form may spell the number out ("én plads"), but never invents a variable.
                if not names <= expected or not (expected - {"num"}) <= names:
                    problems.append(f"{label}: variables {sorted(names)} differ from {sorted(expected)}")
                if not _formats(form):
                    problems.append(f"{label}: {form!r} is not a valid %-format string (write a literal % as %%)")
        else:
            form = strings[0]
            if placeholders(form) != placeholders(entry.id):
                problems.append(
                    f"{label}: variables {sorted(placeholders(form))} differ from {sorted(placeholders(entry.id))}"
                )
            if _formats(entry.id) and not _formats(form):
                problems.append(f"{label}: {form!r} is not a valid %-format string (write a literal % as %%)")
    return problems


def _po_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, ignore_obsolete=True, include_previous=False)
    return buffer.getvalue()


def _write_if_changed(path: Path, content: bytes) -> bool:
    """Write a catalog unless only its dates changed, so `make messages` on a clean tree changes nothing."""

    def without_dates(data: bytes) -> bytes:
        return re.sub(rb'^"(POT-Creation-Date|PO-Revision-Date): .*\\n"\n', b"", data, flags=re.M)

    if path.exists() and without_dates(path.read_bytes()) == without_dates(content):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return True


def extract_messages(only: tuple[str, ...] = ()) -> int:
    """Extract every string into messages.pot and merge it into the da, sv and en catalogs (each area's own
    file; ``only`` limits the writing to some of them, so work on one area leaves the others' files alone).

    New strings arrive untranslated (or fuzzy, when close to a string that changed); tests/test_i18n.py fails
    until they are translated. English is the source language: its catalog is filled with the source text.
    """
    from samrad.core.settings import LOCALES

    template = extract_template()
    pot = TRANSLATIONS_DIR / "messages.pot"
    _write_if_changed(pot, _po_bytes(template))
    print(f"{len(template)} messages in {pot.relative_to(ROOT)}")
    parts = split_template(template)
    for locale in LOCALES:
        # Translations follow a message that moves from one catalog to another.
        known = read_catalog(locale) if catalog_path(locale).exists() else None
        for name in only or CATALOGS:
            path = catalog_path(locale, name)
            catalog = _read(path, locale) if path.exists() else _new_catalog(locale)
            # A copy: ``update`` adopts the template's own message objects, which must not carry one locale's
            # translation into the next.
            template_part = copy.deepcopy(parts[name])
            catalog.update(template_part, no_fuzzy_matching=name != "messages", update_header_comment=False)
            catalog.fuzzy = False
            for message in catalog:
                if not message.id:
                    continue
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if all(strings) and not message.fuzzy:
                    continue
                previous = known.get(message.id, context=message.context) if known else None
                if previous is not None and not previous.fuzzy and previous.id == message.id and (
                    all(previous.string if isinstance(previous.string, tuple) else (previous.string,))
                ):
                    message.string = previous.string
                    message.flags.discard("fuzzy")
                elif locale == SOURCE_LOCALE:
                    message.string = message.id
                    message.flags.discard("fuzzy")
            catalog.revision_date = datetime.now(UTC)
            if _write_if_changed(path, _po_bytes(catalog)):
                print(f"{locale}/{name}.po updated")
        todo = len(catalog_problems(locale, template))
        print(f"{locale}: {todo} to translate or fix")
    return 0


def _new_catalog(locale: str) -> Catalog:
    return Catalog(
        locale=locale,
        header_comment=_HEADER_COMMENT,
        project="Samråd",
        version="1.0",
        copyright_holder="Samråd contributors",
        msgid_bugs_address=MSGID_BUGS_ADDRESS,
        last_translator="Samråd contributors",
        language_team={"da": "Dansk", "sv": "Svenska", "en": "English"}[locale],
        charset="utf-8",
        fuzzy=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m samrad.checks")
    sub = parser.add_subparsers(dest="check", required=True)
    migrations = sub.add_parser("migrations")
    migrations.add_argument("--database-url", required=True)
    extract = sub.add_parser("extract-messages", help="extract strings and update the da, sv, en catalogs")
    extract.add_argument("--only", action="append", choices=CATALOGS, default=[], help="update only this catalog")
    sub.add_parser("check-messages", help="list missing, untranslated, fuzzy or mis-formatted catalog entries")
    args = parser.parse_args()
    if args.check == "migrations":
        sys.exit(check_migrations(args.database_url))
    if args.check == "extract-messages":
        sys.exit(extract_messages(tuple(args.only)))
    if args.check == "check-messages":
        from samrad.core.settings import LOCALES

        template = extract_template()
        problems = [problem for locale in LOCALES for problem in catalog_problems(locale, template)]
        print("\n".join(problems) or "catalogs complete")
        sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
