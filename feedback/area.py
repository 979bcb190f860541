"""The feedback area as the rest of the app sees it. Input items never name a person; the only personal data is
the email address of someone who asked for follow-up digests (kept apart from the input)."""

from __future__ import annotations

from datetime import timedelta

from feedback import demo
from feedback.capture.api import route_handlers as capture_api
from feedback.capture.routes import route_handlers as capture_routes
from feedback.follow_up import declarations as follow_up
from feedback.links import ThemeLinkService, WorkshopInputService
from feedback.moderation.routes import route_handlers as moderation_routes
from feedback.moderation.services import purge_originals
from feedback.themes import demo as themes_demo
from feedback.themes.api import route_handlers as themes_api
from feedback.themes.input_routes import route_handlers as themes_input_routes
from feedback.themes.learning import learning_job
from feedback.themes.routes import route_handlers as themes_routes
from feedback.wall.channels import wall_channels
from feedback.wall.routes import route_handlers as wall_routes
from samrad.core.area import Area, Job, Purge

AREA = Area(
    name="feedback",
    route_handlers=[*wall_routes, *capture_routes, *capture_api, *moderation_routes, *follow_up.route_handlers,
                    *themes_routes, *themes_input_routes, *themes_api],
    # The themes a workshop or an event works on, and the input of a workshop that is removed, for the
    # workshops area's pages (``workshops.contracts``); the event's follow-up page for the event page.
    provides={"theme_links": ThemeLinkService(), "workshop_input": WorkshopInputService(), **follow_up.provides},
    jobs=[*follow_up.jobs, Job("theme_learning", learning_job, every=timedelta(minutes=1))],
    demo=(demo.load, follow_up.demo, demo.capture_workshop_input, themes_demo.accept_suggestions),
    personal_data=follow_up.personal_data,
    # Originals kept in the history of edited input go with the event's personal-data retention; digest
    # subscribers' addresses with ``SAMRAD_DIGEST_RETENTION_DAYS``.
    purges=[Purge("input_originals", purge_originals), *follow_up.purges],
    mail_renderers=follow_up.mail_renderers,
    plugins=(wall_channels,),  # the live wall's channels (``feedback.wall.channels``)
)
