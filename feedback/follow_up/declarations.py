"""What the follow-up capability adds to the feedback area's manifest (``feedback/area.py``), in one place."""

from __future__ import annotations

from datetime import timedelta

from feedback.follow_up import demo as follow_up_demo
from feedback.follow_up import digests, evaluations
from feedback.follow_up.action_routes import route_handlers as action_routes
from feedback.follow_up.api import route_handlers as api_routes
from feedback.follow_up.evaluation_routes import route_handlers as evaluation_routes
from feedback.follow_up.public_routes import event_follow_up_path
from feedback.follow_up.public_routes import route_handlers as public_routes
from feedback.follow_up.report_routes import route_handlers as report_routes
from feedback.follow_up.routes import route_handlers as browser_routes
from feedback.tables import DigestSubscription
from samrad.core.area import Job, Purge

route_handlers = [
    *browser_routes, *action_routes, *api_routes, *public_routes, *report_routes, *evaluation_routes,
]
jobs = [
    Job("follow_up_digests", digests.digest_job, every=timedelta(minutes=15)),
    Job("evaluation_invitations", evaluations.invitation_job, every=timedelta(minutes=15)),
]
demo = follow_up_demo.load
# Digest subscribers' addresses: removed by unsubscribing, or by the retention purge two years after the event.
personal_data = [DigestSubscription]
purges = [Purge("digest_subscriptions", digests.purge_subscriptions)]
# The public event page links to the event's "you said, we did" page once it has something to show
# (``events.contracts.EventFollowUp``).
provides = {"event_follow_up": event_follow_up_path}
mail_renderers = {digests.MAIL_KIND: digests.render_digest, evaluations.MAIL_KIND: evaluations.render_invitation}
