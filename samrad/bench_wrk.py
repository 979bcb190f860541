"""Steady load for ``make bench``: wrk at 50 connections, GETs and registration POSTs.

A Python client cannot load a server past a few hundred requests per second while sharing two cores with it,
so steady load comes from ``wrk`` (C, with a Lua script for POSTs that makes every email unique and counts the
answers outside 2xx/3xx).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

WRK_HINT = "wrk is not installed: run `make bench-deps` (or `apt-get install -y wrk`)"


# Unique emails from a per-thread counter; statuses outside 2xx/3xx counted by thread and summed in done().
POST_SCRIPT = r"""
local threads = {}
errors = 0
counter = 0
tid = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  prefix, mode, csrf, cookie = args[1], args[2], args[3], args[4]
end

function request()
  counter = counter + 1
  local email = string.format("%s-%d-%d@example.org", prefix, tid, counter)
  local name = string.format("Deltager %d %d", tid, counter)
  if mode == "form" then
    local body = "_csrf_token=" .. csrf .. "&name=" .. name:gsub(" ", "+") .. "&email=" .. email:gsub("@", "%%40")
      .. "&category=citizen&consent=1"
    return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded",
                                    ["Cookie"] = cookie}, body)
  end
  local body = string.format('{"name":"%s","email":"%s","category":"citizen","consent":true}', name, email)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status < 200 or status >= 400 then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("errors")
  end
  io.write(string.format("bench-errors: %d\n", total))
end
"""

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


@dataclass
class WrkResult:
    rps: float = 0.0
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    errors: int = 0  # non-2xx/3xx answers plus socket errors
    output: str = field(default="", repr=False)

    def latency(self, percent: int) -> str:
        """``p99 12.3 ms``; n/a when no request was answered within the run."""
        value = getattr(self, f"p{percent}_ms")
        return f"p{percent} " + (f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms") if self.requests else "n/a"

    @property
    def ok_per_second(self) -> float:
        return max(0, self.requests - self.errors) / self.seconds if self.seconds else 0.0


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", text).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> WrkResult:
    result = WrkResult(output=output)
    if match := re.search(r"Requests/sec:\s+([\d.]+)", output):
        result.rps = float(match.group(1))
    if match := re.search(r"(\d+) requests in ([\d.]+)(\w+),", output):
        result.requests = int(match.group(1))
        result.seconds = _ms(match.group(2) + match.group(3)) / 1000
    for percent, name in (("50", "p50_ms"), ("99", "p99_ms")):
        if match := re.search(rf"^\s+{percent}%\s+([\d.]+\w+)", output, re.M):
            setattr(result, name, _ms(match.group(1)))
    if match := re.search(r"Latency\s+[\d.]+\w+\s+[\d.]+\w+\s+([\d.]+\w+)", output):
        result.max_ms = _ms(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        result.errors += sum(int(value) for value in match.groups())
    if match := re.search(r"bench-errors: (\d+)", output):
        result.errors += int(match.group(1))
    elif match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        result.errors += int(match.group(1))
    return result


class Wrk:
    """``wrk -c C -t T -d S --latency``; POSTs through the Lua script above."""

    def __init__(self, connections: int, threads: int) -> None:
        self.binary = shutil.which("wrk")
        if not self.binary:
            raise SystemExit(WRK_HINT)
        self.connections, self.threads = connections, threads
        self.script = Path(tempfile.mkdtemp(prefix="samrad-wrk-")) / "post.lua"
        self.script.write_text(POST_SCRIPT)

    def _run(self, url: str, seconds: float, script_args: list[str] | None) -> WrkResult:
        argv = [self.binary, "-c", str(self.connections), "-t", str(self.threads), "-d", f"{seconds:g}s",
                "--latency", "--timeout", "10s"]
        if script_args is not None:
            argv += ["-s", str(self.script), url, "--", *script_args]
        else:
            argv.append(url)
        done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
        return parse_wrk(done.stdout)

    def get(self, url: str, seconds: float) -> WrkResult:
        return self._run(url, seconds, None)

    def post(
        self, url: str, seconds: float, prefix: str, mode: str = "api", csrf: str = "", cookie: str = ""
    ) -> WrkResult:
        """POST registrations with unique emails (``prefix`` keeps runs apart) as JSON (``api``) or a form."""
        return self._run(url, seconds, [prefix, mode, csrf, cookie])


def form_credentials(base: str, slug: str) -> tuple[str, str]:
    """GET the form once as a browser would: the hidden ``_csrf_token`` (form-encoded) and the cookie header."""
    from urllib.parse import quote_plus

    import httpx

    response = httpx.get(f"{base}/events/{slug}/register", timeout=10)
    response.raise_for_status()
    match = re.search(r'name="_csrf_token" value="([^"]+)"', response.text)
    cookie = response.cookies.get("samrad_csrf")
    if not match or not cookie:
        raise RuntimeError("the registration form carries no CSRF token or cookie")
    return quote_plus(match.group(1)), f"samrad_csrf={cookie}"
