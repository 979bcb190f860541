"""docs/deployment.md and deploy/ say what the code does: every setting is in the reference with the code's
default, the units and the container run commands that exist, the proxies pass the headers Samråd trusts."""

from __future__ import annotations

import re

from samrad.cli import COMMANDS
from samrad.core.settings import ROOT

GUIDE = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
DEPLOY = ROOT / "deploy"
SETTINGS_SOURCE = (ROOT / "samrad" / "core" / "settings.py").read_text(encoding="utf-8")
# _env("SAMRAD_X", "default"), _env_int(..., 30), _env_bool(..., False), _rate(..., "10/minute"); a default that
# is not a literal (a path, another setting) is not compared.
READS = re.compile(r'_(env|env_int|env_bool|rate)\("([A-Z_]+)"(?:,\s*("[^"]*"|\d+|True|False)(?=\)))?')


def _reference() -> dict[str, str]:
    """The settings reference: variable -> default as written (without backticks)."""
    section = GUIDE.partition("## Settings reference")[2]
    return {name: default.strip().strip("`") for name, default in
            re.findall(r"^\| `([A-Z_]+)` \| ([^|]*) \|", section, re.MULTILINE)}


async def test_every_setting_is_in_the_reference_and_nothing_else():
    read = {name for _kind, name, _default in READS.findall(SETTINGS_SOURCE)}
    assert {"DATABASE_URL", "SAMRAD_TRUSTED_PROXIES", "SAMRAD_RETENTION_DAYS_SENSITIVE_FIELDS"} <= read
    documented = set(_reference())
    assert sorted(read - documented) == [], "settings missing from docs/deployment.md"
    assert sorted(documented - read) == [], "docs/deployment.md lists settings the code does not read"


async def test_the_reference_gives_the_code_defaults():
    reference = _reference()
    for kind, name, default in READS.findall(SETTINGS_SOURCE):
        if not default:
            continue
        literal = default.strip('"')
        if kind == "env_bool":
            literal = literal.lower()
        assert reference[name] == literal, name


async def test_the_units_and_the_container_run_commands_that_exist():
    units = {path.name: path.read_text() for path in DEPLOY.glob("samrad-*.service")}
    assert set(units) == {"samrad-web.service", "samrad-worker.service", "samrad-backup.service"}
    for text in units.values():
        [command] = re.findall(r"^ExecStart=/opt/samrad/\.venv/bin/samrad (\w[\w-]*)", text, re.MULTILINE)
        assert command in COMMANDS
        assert "User=samrad" in text and "EnvironmentFile=/etc/samrad/samrad.env" in text
    assert "samrad serve" in units["samrad-web.service"] and "samrad worker" in units["samrad-worker.service"]
    assert "Unit=" not in (DEPLOY / "samrad-backup.timer").read_text()  # the timer starts its namesake service
    admin = (DEPLOY / "samrad-admin").read_text()
    assert "--uid=samrad" in admin and "EnvironmentFile=/etc/samrad/samrad.env" in admin

    container = (DEPLOY / "Containerfile").read_text()
    assert container.startswith("#") and "\nFROM python:3.11-slim\n" in container
    assert "pip install ." in container and "VOLUME [\"/data\"]" in container
    [user] = re.findall(r"^USER (\S+)$", container, re.MULTILINE)
    assert user not in {"root", "0"}
    [command] = re.findall(r'^CMD \["samrad", "(\w+)"\]$', container, re.MULTILINE)
    assert command in COMMANDS
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "data", ".git"} <= set(ignored)


async def test_the_proxies_pass_what_samrad_trusts_and_log_no_paths():
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in nginx
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in nginx
    assert "proxy_buffering off;" in nginx and "wall/stream" in nginx
    [log_format] = re.findall(r"log_format samrad_nopath ([^;]*);", nginx)
    assert "$request_uri" not in log_format and "$request " not in log_format + " " and "$uri" not in log_format
    assert "flush_interval -1" in (DEPLOY / "Caddyfile").read_text()
    example = (DEPLOY / "samrad.env.example").read_text()
    names = set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE))
    assert names <= set(_reference()) and "SAMRAD_TRUSTED_PROXIES" in names


async def test_the_guide_names_commands_that_exist():
    named = set(re.findall(r"(?:`|bin/|samrad-admin |docker exec (?:-it )?[\w-]+ )samrad ([a-z][a-z-]+)", GUIDE))
    named |= set(re.findall(r"samrad-admin ([a-z][a-z-]+)", GUIDE))
    assert {"backup", "purge", "migrate", "copy-to-postgres", "serve", "worker"} <= named
    assert sorted(name for name in named if name not in COMMANDS) == []
