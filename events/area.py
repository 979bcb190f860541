"""The events area as the rest of the app sees it: its routes, what it provides, its jobs, who writes its emails,
its personal data."""

from __future__ import annotations

from events import demo, demo_teams
from events.access import on_event_team
from events.attendees import demo as attendees_demo
from events.attendees.api import route_handlers as attendees_api
from events.attendees.messaging import render_group_message
from events.attendees.routes import route_handlers as attendees_routes
from events.checkin.door import route_handlers as door_routes
from events.checkin.routes import route_handlers as checkin_routes
from events.invariants import INVARIANTS
from events.listing.api import route_handlers as listing_api
from events.listing.routes import route_handlers as listing_routes
from events.management.api import route_handlers as organiser_api
from events.management.event_routes import route_handlers as event_routes
from events.management.lifecycle_routes import route_handlers as lifecycle_routes
from events.management.routes import dashboard_context
from events.management.routes import route_handlers as management_routes
from events.messaging.reminders import reminders_job
from events.messaging.rendering import render_notice
from events.registration.api import route_handlers as registration_api
from events.registration.manage_routes import route_handlers as manage_routes
from events.registration.retention import purge_registrations
from events.registration.routes import route_handlers as registration_routes
from events.tables import Registration
from samrad.core.area import Area, Job, Purge
from samrad.core.security import Scope

AREA = Area(
    name="events",
    route_handlers=[
        *listing_routes, *registration_routes, *manage_routes, *listing_api, *registration_api,
        *management_routes, *event_routes, *lifecycle_routes, *organiser_api, *checkin_routes,
        *attendees_routes, *attendees_api, *door_routes,
    ],
    provides={"staff_overview": dashboard_context},
    jobs=[Job("reminders", reminders_job)],
    demo=(demo.load, demo.register_participants, attendees_demo.load, demo_teams.load),
    personal_data=[Registration],
    purges=[Purge("registrations", purge_registrations)],
    mail_renderers={
        "notice": render_notice,  # notice.confirmed, notice.waitlisted, ... (events.messaging)
        "attendees": render_group_message,  # an organiser's message to a group (events.attendees)
    },
    permission_scopes={Scope.event_team: on_event_team},
    invariants=INVARIANTS,
)
