"""The events area as the rest of the app sees it: its routes, what it provides, its jobs, its personal data."""

from __future__ import annotations

from datetime import timedelta

from events.api import route_handlers as api_routes
from events.reminders import reminders_job
from events.retention import retention_job
from events.routes import route_handlers as public_routes
from events.staff_routes import dashboard_context
from events.staff_routes import route_handlers as staff_routes
from events.tables import Registration
from samrad.core.area import Area, Job

AREA = Area(
    name="events",
    route_handlers=[*public_routes, *api_routes, *staff_routes],
    provides={"staff_overview": dashboard_context},
    jobs=[
        Job("reminders", reminders_job),
        Job("retention", retention_job, every=timedelta(hours=1)),
    ],
    personal_data=[Registration],
)
