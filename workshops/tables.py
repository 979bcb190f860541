"""Workshops inside events and the seats registrants hold in them."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import JSON, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events.tables import Event, Registration
from samrad.core.tables import StaffUser


class SeatStatus(StrEnum):
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    # Chosen while the registration itself is on the event's waiting list; booked on promotion.
    wished = "wished"


class Workshop(Table, tablename="workshop"):
    event = ForeignKey(references=Event, null=False, index=True)
    title = JSON(default={})
    description = JSON(default={})
    room = Varchar(length=120, default="")
    starts_at = Timestamptz(null=True, default=None)
    ends_at = Timestamptz(null=True, default=None)
    capacity = Integer(null=True, default=None)
    booked = Integer(default=0)
    position = Integer(default=0)
    # Participants add their own input through a QR code (``/j/{join_code}``); six characters without
    # look-alike letters, unique among all workshops and tables.
    join_code = Varchar(length=16, unique=True, index=True)


class WorkshopTable(Table, tablename="workshop_table"):
    """A table of a workshop (with its own join code, so input arrives already attributed to the table)."""

    workshop = ForeignKey(references=Workshop, null=False, index=True, on_delete=OnDelete.cascade)
    label = Varchar(length=80)
    position = Integer(default=0)
    join_code = Varchar(length=16, unique=True, index=True)


class WorkshopFacilitator(Table, tablename="workshop_facilitator"):
    """A staff account assigned to run a workshop: it may capture and moderate that workshop's input."""

    workshop = ForeignKey(references=Workshop, null=False, index=True, on_delete=OnDelete.cascade)
    staff_user = ForeignKey(references=StaffUser, null=False, index=True, on_delete=OnDelete.cascade)
    # "workshop-id:staff-user-id": one assignment per person per workshop.
    assignment_key = Varchar(length=40, unique=True)


class WorkshopSeat(Table, tablename="workshop_seat"):
    workshop = ForeignKey(references=Workshop, null=False, index=True)
    registration = ForeignKey(references=Registration, null=False, index=True)
    status = Varchar(length=20, choices=SeatStatus)
    # "workshop-id:registration-id": one seat per person per workshop.
    seat_key = Varchar(length=40, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
