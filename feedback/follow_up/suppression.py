"""Small groups are not shown: any breakdown by speaker category, organisational unit or workshop table hides
the count of a group smaller than five (shown as "fewer than 5"), on every page and in every export, so a
number cannot point at a person."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from samrad.core.i18n import _

MINIMUM_GROUP = 5


@dataclass(frozen=True)
class GroupCount:
    """One group of a breakdown: ``count`` is None when the group is too small to show."""

    key: str
    label: str
    count: int | None

    @property
    def suppressed(self) -> bool:
        return self.count is None

    def shown(self) -> str:
        """The count as text, or "fewer than 5"."""
        return fewer_than_label() if self.count is None else str(self.count)


def fewer_than_label() -> str:
    return _("fewer than %(minimum)s", minimum=MINIMUM_GROUP)


def suppress(counts: Mapping[str, int], labels: Mapping[str, str] | None = None) -> list[GroupCount]:
    """The breakdown with every group under ``MINIMUM_GROUP`` suppressed (empty groups are left out), largest
    first. A group of zero is not shown at all: it names nobody and says nothing."""
    labels = labels or {}
    present = {key: count for key, count in counts.items() if count > 0}
    small = {key for key, count in present.items() if count < MINIMUM_GROUP}
    if len(small) == 1 and len(present) > 1:
        # With the total known, one hidden group could be worked out from the others: hide the next smallest too.
        small.add(min((key for key in present if key not in small), key=lambda key: (present[key], key)))
    groups = [GroupCount(key, labels.get(key, key), None if key in small else count) for key, count in present.items()]
    return sorted(groups, key=lambda group: (group.count is None, -(group.count or 0), group.label))
