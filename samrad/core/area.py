"""What an area (``events``, ``workshops``, ``feedback``) declares about itself, in one small ``area.py``.

The composition layer (``samrad.app``, ``samrad.worker``, ``samrad.demo``) reads these declarations and never
names an area's modules itself: a new capability plugs in by adding its ``AREA`` to ``samrad.areas.AREAS``.
Modelled on Decidim's component manifest.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from litestar.plugins import PluginProtocol
from litestar.types import ControllerRouterHandler
from piccolo.table import Table

from samrad.core.invariants import Invariant
from samrad.core.mail import MailRenderer
from samrad.core.security import ScopeCheck
from samrad.core.settings import Settings

# A scheduled job gets the time of the pass, the settings and what the areas provide (see ``Area.provides``)
# and returns what it did, as counts (``{"reminders": 3}``); the worker adds them up and logs nothing personal.
JobRun = Callable[[datetime, Settings, Mapping[str, Any]], Awaitable[Mapping[str, int]]]

# Demo data is loaded in rounds (``samrad.demo``): round n runs the n-th loader of each area's ``demo``, area by
# area in the order of ``samrad.areas.AREAS``. Each loader reads what earlier ones left in the shared dictionary
# (ids by key; ``"provided"`` holds what the areas provide) and adds its own. A part that needs a later area's
# data goes in a later round: events' sign-ups choose workshops, so they are events' second loader.
DemoLoader = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Job:
    name: str
    run: JobRun
    every: timedelta | None = None  # None: on every worker pass


# A retention purge step gets the time, the settings and whether this is a dry run (count, change nothing), and
# answers what it changed (or would change), in rows: ``"registration.diet"`` for a field cleared in that many
# rows, ``"registration:anonymised"`` or ``"outbox_message:deleted"`` for whole rows. It writes its audit
# entries (counts, never values) in the transaction of its change, and running it twice changes nothing more.
PurgeRun = Callable[[datetime, Settings, bool], Awaitable[Mapping[str, int]]]


@dataclass(frozen=True)
class Purge:
    name: str
    run: PurgeRun


@dataclass(frozen=True)
class Area:
    name: str
    route_handlers: Sequence[ControllerRouterHandler] = ()
    # What this area offers the others, by name: route handlers receive each by injection (Litestar's
    # dependencies) and jobs in their third argument. This is how workshop seats reach the registration flow
    # (``seat_plan``) without ``events`` importing ``workshops``.
    provides: Mapping[str, Any] = field(default_factory=dict)
    jobs: Sequence[Job] = ()
    demo: Sequence[DemoLoader] = ()  # this area's loaders, one per round (see ``DemoLoader``)
    # Tables holding data about a person. Each appears in that person's data download ("download my data"
    # on the manage link) and is anonymised by one of the area's ``purges`` when its retention period ends;
    # ``tests/test_layering.py`` checks that no other table has a column that could name a person.
    personal_data: Sequence[type[Table]] = ()
    # The steps that remove or anonymise this area's personal data when its time is up: ``samrad purge`` and
    # the worker's hourly ``retention`` job run them all (``samrad.purge``).
    purges: Sequence[Purge] = ()
    # Who writes this area's queued emails at send time, by outbox kind or kind prefix (``"notice"`` for
    # ``notice.confirmed``): the booking transaction stores only the intent (``samrad.core.mail``).
    mail_renderers: Mapping[str, MailRenderer] = field(default_factory=dict)
    # The predicates behind the permission scopes about this area's subjects, by scope name
    # (``samrad.core.security.Scope``: ``event_team`` is the events area's): the app installs them at start.
    permission_scopes: Mapping[str, ScopeCheck] = field(default_factory=dict)
    # Litestar plugins this area's routes need, each made from the settings when the app is built (the live
    # wall's channels: in memory, or on Redis or PostgreSQL so that several server processes share them).
    plugins: Sequence[Callable[[Settings], PluginProtocol]] = ()
    # What must hold in this area's data whatever happened (counters against the rows they count): ``samrad
    # check`` verifies them on a live database (``samrad.core.invariants``).
    invariants: Sequence[Invariant] = ()
