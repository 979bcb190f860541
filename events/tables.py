"""Events and registrations. Tables describe data only; what happens to it is in ``services.py``."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from samrad.core.tables import StaffUser


class EventKind(StrEnum):
    conference = "conference"
    cafe = "cafe"
    training = "training"
    meeting = "meeting"


class RegistrationMode(StrEnum):
    required = "required"  # seats are booked through registration
    dropin = "dropin"  # come as you are; staff count heads; optional sign-up for reminders only


class EventStatus(StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"


class AudienceCategory(StrEnum):
    citizen = "citizen"
    staff = "staff"
    leader = "leader"
    council = "council"  # user council, relatives' council, school board
    elected = "elected"
    partner = "partner"


class RegistrationStatus(StrEnum):
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    cancelled = "cancelled"


class OrgUnitKind(StrEnum):
    administration = "administration"
    committee = "committee"
    department = "department"
    workplace = "workplace"


class Venue(Table, tablename="venue"):
    name = Varchar(length=200)
    address = Varchar(length=300)
    city = Varchar(length=100)
    # Translatable accessibility description ({"da": ..., "sv": ..., "en": ...}).
    accessibility = JSON(default={})
    step_free = Boolean(default=False)
    hearing_loop = Boolean(default=False)
    accessible_toilet = Boolean(default=False)
    quiet_room = Boolean(default=False)


class OrgUnit(Table, tablename="org_unit"):
    """A committee, administration or department; headcount is the base of training coverage."""

    name = Varchar(length=200)
    code = Varchar(length=40, unique=True)
    kind = Varchar(length=20, choices=OrgUnitKind, default=OrgUnitKind.administration.value)
    parent = ForeignKey(references="self", null=True)
    headcount = Integer(default=0)


class Event(Table, tablename="event"):
    slug = Varchar(length=120, unique=True, index=True)
    kind = Varchar(length=20, choices=EventKind, index=True)
    title = JSON(default={})
    summary = JSON(default={})
    description = JSON(default={})
    programme = JSON(default={})
    timezone = Varchar(length=64, default="Europe/Copenhagen")
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    # Series (cafés): an RFC 5545 RRULE without DTSTART; the dates are the Occurrence rows.
    recurrence_rule = Varchar(length=300, default="")
    venue = ForeignKey(references=Venue, null=True)
    published = Boolean(default=True, index=True)
    status = Varchar(length=20, choices=EventStatus, default=EventStatus.scheduled.value)
    registration_mode = Varchar(length=20, choices=RegistrationMode, default=RegistrationMode.required.value)
    registration_opens_at = Timestamptz(null=True, default=None)
    registration_closes_at = Timestamptz(null=True, default=None)
    # Seats: capacity NULL means unlimited. ``booked`` counts confirmed seats and only changes through
    # conditional UPDATEs in events.capacity.
    capacity = Integer(null=True, default=None)
    booked = Integer(default=0)
    waitlist_enabled = Boolean(default=True)
    # Which optional questions the form asks: org_unit, organisation, workshops, access_needs, diet,
    # pronouns, follow_up.
    questions = JSON(default=[])
    # Calendar identity: UID never changes; SEQUENCE increases on every significant change.
    ical_uid = Varchar(length=120, unique=True)
    ical_sequence = Integer(default=0)
    # Trainings: share of each unit's headcount to reach (0-100).
    coverage_target_percent = Integer(null=True, default=None)
    # Sensitive events (an LGBTQ café): registrations are special-category data; purge sooner, show no lists.
    sensitive = Boolean(default=False)
    retention_days = Integer(null=True, default=None)
    organiser_email = Varchar(length=254, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # Drafts (``published`` false) are seen by staff only; publishing is an explicit action that stamps this.
    published_at = Timestamptz(null=True, default=None)
    created_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)


class EventTeamMember(Table, tablename="event_team_member"):
    """A colleague on an event's team: organisers manage it, check-in staff check people in at its door
    (what each may do comes from their role, ``samrad.core.security.PERMISSIONS``; this says for which event)."""

    event = ForeignKey(references=Event, null=False, index=True, on_delete=OnDelete.cascade)
    staff_user = ForeignKey(references=StaffUser, null=False, index=True, on_delete=OnDelete.cascade)
    # "event-id:staff-user-id": the unique index makes adding someone twice a no-op, whatever the concurrency.
    member_key = Varchar(length=40, unique=True)
    added_at = Timestamptz(default=TimestamptzNow())


class EventAudience(Table, tablename="event_audience"):
    """An audience category allowed to register, with an optional quota: the most seats this group may take."""

    event = ForeignKey(references=Event, null=False)
    category = Varchar(length=20, choices=AudienceCategory)
    quota = Integer(null=True, default=None)
    booked = Integer(default=0)


class Occurrence(Table, tablename="occurrence"):
    """One date of an event: the single date of a conference, or each week of a café series.

    The public listing also reads three indexes Piccolo cannot declare here (one on several columns, two
    partial): ``occurrence (starts_at, event, id)`` and, on ``event (id)``, the published series and the drafts,
    created by events/piccolo_migrations/events_2026_12_02t06_00_00_000000.py.
    """

    event = ForeignKey(references=Event, null=False, index=True)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    cancelled = Boolean(default=False)
    note = JSON(default={})
    # Drop-in attendance is a count, never a list of names.
    headcount = Integer(null=True, default=None)


class Registration(Table, tablename="registration"):
    """One person's registration for an event. The event's registrations, and those of one status (the queue,
    earlier cancellations), are read through the index on ``(event, status)``, which Piccolo cannot declare
    here: created by events/piccolo_migrations/events_2026_12_02t13_30_00_000000.py. The unique columns need
    no index of their own (their unique index serves)."""

    event = ForeignKey(references=Event, null=False)
    # For series: the date someone asked to be reminded of (optional sign-up for drop-in cafés).
    occurrence = ForeignKey(references=Occurrence, null=True)
    status = Varchar(length=20, choices=RegistrationStatus, index=True)
    name = Varchar(length=200)
    email = Varchar(length=254)
    locale = Varchar(length=5, default="da")
    category = Varchar(length=20, choices=AudienceCategory)
    org_unit = ForeignKey(references=OrgUnit, null=True)
    organisation = Varchar(length=200, default="")
    access_needs = JSON(default=[])
    access_other = Varchar(length=500, default="")
    diet = Varchar(length=300, default="")
    pronouns = Varchar(length=60, default="")
    follow_up_opt_in = Boolean(default=False)
    consent_at = Timestamptz(default=TimestamptzNow())
    # "event-id:normalised email" while the registration is active, NULL once cancelled: the unique index
    # makes a second active registration of the same email impossible, whatever the concurrency.
    active_key = Varchar(length=300, null=True, unique=True)
    manage_token_hash = Varchar(length=64, unique=True)
    ticket_code = Varchar(length=16, unique=True)
    checked_in_at = Timestamptz(null=True, default=None)
    # The scan (an id the check-in page chose) that checked the ticket in: a scan queued offline and sent
    # twice gets the same answer twice (``events.checkin.scans``).
    checkin_scan = Varchar(length=64, null=True, default=None)
    # Registered by an organiser on the person's behalf (phoned in), not through the form or the public API.
    added_by_staff = Boolean(default=False)
    reminder_sent_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())
    cancelled_at = Timestamptz(null=True, default=None)
    # Set when the retention job has removed the personal fields; the row stays for counts.
    anonymised_at = Timestamptz(null=True, default=None)
