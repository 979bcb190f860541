"""Policies, themes, input and follow-up.

An input item has no link to a registration or a person, by design: only the event, optionally the workshop,
and at most a coarse speaker category.
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import JSON, Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events.tables import Event, OrgUnit
from workshops.tables import Workshop


class PolicyKind(StrEnum):
    municipal = "municipal"  # a municipality's own policy (Randers' gender-equality policy)
    charter = "charter"  # the CEMR European Charter for Equality of Women and Men in Local Life
    areas = "areas"  # a flat list of areas (Lerum)


class InputSource(StrEnum):
    facilitator = "facilitator"
    participant = "participant"


class InputStatus(StrEnum):
    new = "new"
    accepted = "accepted"
    hidden = "hidden"


class FollowUpStatus(StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    dropped = "dropped"


class Policy(Table, tablename="policy"):
    code = Varchar(length=40, unique=True)
    kind = Varchar(length=20, choices=PolicyKind)
    name = JSON(default={})
    description = JSON(default={})
    adopted_on = Date(null=True, default=None)


class Theme(Table, tablename="theme"):
    """A node of a policy's theme tree (at most three levels)."""

    policy = ForeignKey(references=Policy, null=False, index=True)
    parent = ForeignKey(references="self", null=True)
    level = Integer(default=1)
    code = Varchar(length=40)
    name = JSON(default={})
    description = JSON(default={})
    colour = Varchar(length=7, default="#1f5f8b")
    position = Integer(default=0)
    # "policy-id:code": codes are unique within a policy.
    theme_key = Varchar(length=100, unique=True)


class InputItem(Table, tablename="input_item"):
    event = ForeignKey(references=Event, null=False, index=True)
    workshop = ForeignKey(references=Workshop, null=True, index=True)
    text = Text()
    language = Varchar(length=5, default="da")
    source = Varchar(length=20, choices=InputSource, default=InputSource.facilitator.value)
    # Coarse and optional (citizen, staff, ...); never a name.
    speaker_category = Varchar(length=20, default="")
    status = Varchar(length=20, choices=InputStatus, default=InputStatus.new.value, index=True)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class InputTag(Table, tablename="input_tag"):
    input_item = ForeignKey(references=InputItem, null=False, index=True)
    theme = ForeignKey(references=Theme, null=False, index=True)
    tag_key = Varchar(length=40, unique=True)


class FollowUp(Table, tablename="follow_up"):
    """An action answering input: what the municipality does about it, with status and progress."""

    theme = ForeignKey(references=Theme, null=True, index=True)
    title = JSON(default={})
    description = JSON(default={})
    status = Varchar(length=20, choices=FollowUpStatus, default=FollowUpStatus.planned.value)
    progress = Integer(default=0)
    responsible_unit = ForeignKey(references=OrgUnit, null=True)
    due_on = Date(null=True, default=None)
    public = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class FollowUpInput(Table, tablename="follow_up_input"):
    follow_up = ForeignKey(references=FollowUp, null=False, index=True)
    input_item = ForeignKey(references=InputItem, null=False, index=True)
    link_key = Varchar(length=40, unique=True)
