"""The workshops area as the rest of the app sees it: its pages (setting workshops up, posters, "my workshops")
and API, and the workshop seats offered to the registration flow."""

from __future__ import annotations

from samrad.core.area import Area
from samrad.core.security import Scope
from workshops import demo
from workshops.access import assigned_to_workshop, on_workshop_event_team
from workshops.invariants import INVARIANTS
from workshops.management.api import route_handlers as management_api
from workshops.management.routes import route_handlers as management_routes
from workshops.mine.routes import route_handlers as mine_routes
from workshops.posters.routes import route_handlers as poster_routes
from workshops.rosters import workshop_roster
from workshops.services import WorkshopSeatPlan, duplicate_for_event, workshops_for_event

AREA = Area(
    name="workshops",
    route_handlers=[*management_routes, *management_api, *poster_routes, *mine_routes],
    # A person's workshop seats reach their data download, their erasure and their emails through the seat
    # plan (``events.contracts.SeatPlan``); ``WorkshopSeat`` rows go with the registration they belong to.
    # ``workshop_roster`` lets the events area list registrations by workshop; ``workshop_duplicator`` copies
    # an event's workshops and tables (new join codes, no seats) when an event is duplicated.
    provides={
        "seat_plan": WorkshopSeatPlan(), "workshop_catalogue": workshops_for_event,
        "workshop_roster": workshop_roster, "workshop_duplicator": duplicate_for_event,
    },
    # The predicates of the workshop scopes of the permissions (``samrad.core.security.Scope``).
    permission_scopes={Scope.team_workshop: on_workshop_event_team, Scope.assigned_workshop: assigned_to_workshop},
    demo=(demo.load, demo.link_themes),
    invariants=INVARIANTS,
)
