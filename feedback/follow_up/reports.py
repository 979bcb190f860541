"""Reports: one event (registrations and attendance by audience and unit, workshops, input per theme and kind,
evaluation results), training coverage per organisational unit against its headcount and the target, and the
policy dashboard (input and actions per theme across events, month by month).

Every breakdown by a group of people (audience, unit) goes through ``suppression``: groups smaller than five are
shown as "fewer than 5". Input is read through ``queries`` with the visibility rule's default (published only).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from events.tables import Event, EventKind, OrgUnit, Registration, RegistrationStatus
from feedback.follow_up import queries
from feedback.follow_up.filters import InputFilter
from feedback.follow_up.labels import ACTION_STATUSES, audience_label
from feedback.follow_up.suppression import MINIMUM_GROUP, GroupCount, suppress
from feedback.follow_up.visibility import visible_statuses
from feedback.tables import FollowUp, InputItem, UnitHeadcount
from samrad.core import audit, db
from workshops.tables import Workshop

MAX_HEADCOUNT = 1_000_000


# --- event report -----------------------------------------------------------------------------------------

async def event_report(event_id: int) -> dict[str, Any]:
    """Registrations, attendance, workshops and input of one event; groups of people suppressed below five."""
    registrations = await Registration.select(
        Registration.category, Registration.org_unit, Registration.status, Registration.checked_in_at,
    ).where((Registration.event == event_id) & (Registration.status != RegistrationStatus.cancelled.value))
    confirmed = [row for row in registrations if row["status"] == RegistrationStatus.confirmed.value]
    attended = [row for row in confirmed if row["checked_in_at"] is not None]
    units = {row["id"]: row["name"] for row in await OrgUnit.select(OrgUnit.id, OrgUnit.name)}
    unit_labels = {str(unit_id): name for unit_id, name in units.items()} | {"": "–"}

    def by(rows: list[dict[str, Any]], key: str) -> Counter:
        return Counter(str(row[key] or "") for row in rows)

    audience_labels = {key: audience_label(key) for key in by(registrations, "category")}
    tree = await queries.theme_tree()
    flt = InputFilter(event=event_id)
    theme_counts = await queries.theme_counts(flt, tree)
    workshops = await Workshop.select(Workshop.id, Workshop.title, Workshop.capacity, Workshop.booked).where(
        Workshop.event == event_id
    ).order_by(Workshop.position).output(load_json=True)
    input_per_workshop = await queries.grouped_counts(flt, tree, "workshop")
    for workshop in workshops:
        workshop["input"] = input_per_workshop.get(str(workshop["id"]), 0)
    return {
        "registered": len(confirmed),
        "waitlisted": sum(1 for row in registrations if row["status"] == RegistrationStatus.waitlisted.value),
        "attended": len(attended),
        "by_audience": _paired(suppress(by(confirmed, "category"), audience_labels),
                               suppress(by(attended, "category"), audience_labels)),
        "by_unit": _paired(suppress(by(confirmed, "org_unit"), unit_labels),
                           suppress(by(attended, "org_unit"), unit_labels)),
        "workshops": workshops,
        "input_total": await queries.count(flt, tree),
        "themes": [(tree.themes[t], theme_counts[t]) for t in tree.order if theme_counts.get(t)],
        "kinds": sorted((await queries.grouped_counts(flt, tree, "kind")).items(), key=lambda kv: -kv[1]),
    }


def _paired(registered: list[GroupCount], attended: list[GroupCount]) -> list[dict[str, Any]]:
    """One row per group: registered and attended, each already suppressed on its own."""
    came = {group.key: group for group in attended}
    return [{"key": group.key, "label": group.label, "registered": group,
             "attended": came.get(group.key, GroupCount(group.key, group.label, 0))} for group in registered]


# --- training coverage ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CoverageRow:
    unit_id: int
    unit: str
    headcount: int
    attended: int | None  # None: fewer than five, not shown
    target_percent: int | None

    @property
    def percent(self) -> float | None:
        if self.attended is None or not self.headcount:
            return None
        return self.attended / self.headcount

    @property
    def target_count(self) -> float | None:
        return None if self.target_percent is None else self.headcount * self.target_percent / 100

    @property
    def below_target(self) -> bool:
        """Known to be below: counted and short of the target, or hidden (fewer than five) while the target
        needs five or more."""
        target = self.target_count
        if target is None or not self.headcount:
            return False
        if self.attended is None:
            return target >= MINIMUM_GROUP
        return self.attended < target


async def headcounts(year: int) -> dict[int, int]:
    """Each unit's headcount in ``year``: the one entered for the year, else the unit's standing figure."""
    standing = {row["id"]: row["headcount"] for row in await OrgUnit.select(OrgUnit.id, OrgUnit.headcount)}
    for row in await UnitHeadcount.select(UnitHeadcount.org_unit, UnitHeadcount.headcount).where(
        UnitHeadcount.year == year
    ):
        standing[row["org_unit"]] = row["headcount"]
    return standing


async def coverage(year: int) -> dict[str, Any]:
    """Training events of ``year``: people who attended per unit against its headcount and the target (the
    highest target of the year's trainings). A person who came to two trainings counts once (by address while
    registrations still have one; rows already anonymised count once each)."""
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    trainings = await Event.select(Event.id, Event.title, Event.starts_at, Event.coverage_target_percent).where(
        (Event.kind == EventKind.training.value) & (Event.starts_at >= start) & (Event.starts_at < end)
    ).order_by(Event.starts_at).output(load_json=True)
    targets = [row["coverage_target_percent"] for row in trainings if row["coverage_target_percent"] is not None]
    target = max(targets) if targets else None
    people: dict[int, set[str]] = {}
    if trainings:
        rows = await Registration.select(Registration.id, Registration.org_unit, Registration.email).where(
            Registration.event.is_in([row["id"] for row in trainings])
            & (Registration.status == RegistrationStatus.confirmed.value) & Registration.checked_in_at.is_not_null()
            & Registration.org_unit.is_not_null()
        )
        for row in rows:
            who = (row["email"] or "").strip().lower() or f"registration:{row['id']}"
            people.setdefault(row["org_unit"], set()).add(who)
    counts = await headcounts(year)
    units = await OrgUnit.select(OrgUnit.id, OrgUnit.name).order_by(OrgUnit.name)
    result = []
    for unit in units:
        attended = len(people.get(unit["id"], ()))
        result.append(CoverageRow(
            unit_id=unit["id"], unit=unit["name"], headcount=counts.get(unit["id"], 0),
            attended=attended if attended == 0 or attended >= MINIMUM_GROUP else None, target_percent=target,
        ))
    return {"year": year, "trainings": trainings, "target": target, "rows": result}


async def set_headcounts(year: int, values: dict[int, int], actor: str) -> int:
    """Save headcounts per unit for ``year`` (one row per unit and year); returns how many were saved."""
    if not 2000 <= year <= 2100:
        raise ValueError(year)
    known = {row["id"] for row in await OrgUnit.select(OrgUnit.id)}
    saved = 0
    async with db.atomic():
        for unit_id, headcount in sorted(values.items()):
            if unit_id not in known or not 0 <= headcount <= MAX_HEADCOUNT:
                raise ValueError(unit_id)
            await UnitHeadcount.insert(UnitHeadcount(
                org_unit=unit_id, year=year, headcount=headcount, headcount_key=f"{unit_id}:{year}",
            )).on_conflict(target=UnitHeadcount.headcount_key, action="DO UPDATE",
                           values=[UnitHeadcount.headcount])
            saved += 1
        await audit.record(actor, "follow_up.headcounts", f"year:{year}", saved)
    return saved


# --- policy dashboard -------------------------------------------------------------------------------------

def months_back(today: date, count: int) -> list[date]:
    first = date(today.year, today.month, 1)
    months = []
    for _ in range(count):
        months.append(first)
        first = date(first.year - (first.month == 1), 12 if first.month == 1 else first.month - 1, 1)
    return list(reversed(months))


async def dashboard(policy_id: int | None, today: date, months: int = 12) -> dict[str, Any]:
    """Per theme of the policy: published input month by month (the last ``months``) and in all, and its
    actions by status."""
    tree = await queries.theme_tree()
    if policy_id is None or policy_id not in tree.policies:
        policy_id = next(iter(tree.policies), None)
    theme_ids = tree.of_policy(policy_id) if policy_id is not None else []
    periods = months_back(today, months)
    per_month: dict[tuple[int, date], int] = {}
    totals: Counter = Counter()
    if theme_ids:
        rows = await InputItem.raw(
            # Placeholders only: every value is a parameter.
            "SELECT t.theme AS theme, i.created_at AS created_at FROM input_tag t "  # noqa: S608
            "JOIN input_item i ON i.id = t.input_item WHERE i.status IN ("
            + ", ".join("{}" for _ in visible_statuses()) + ") AND t.theme IN ("
            + ", ".join("{}" for _ in theme_ids) + ")",
            *visible_statuses(), *theme_ids,
        )
        for row in rows:
            created = queries.aware(row["created_at"])
            month = date(created.year, created.month, 1)
            totals[row["theme"]] += 1
            if month >= periods[0]:
                per_month[(row["theme"], month)] = per_month.get((row["theme"], month), 0) + 1
    action_rows = await FollowUp.select(FollowUp.theme, FollowUp.status).where(
        FollowUp.theme.is_in(theme_ids or [-1])
    )
    by_status: dict[int, Counter] = {}
    for row in action_rows:
        by_status.setdefault(row["theme"], Counter())[row["status"]] += 1
    return {
        "policy_id": policy_id, "tree": tree, "months": periods,
        "rows": [
            {"theme": tree.themes[t], "total": totals[t], "per_month": [per_month.get((t, m), 0) for m in periods],
             "actions": [by_status.get(t, Counter())[s] for s in ACTION_STATUSES]}
            for t in theme_ids
        ],
        "month_totals": [sum(per_month.get((t, m), 0) for t in theme_ids) for m in periods],
        "statuses": ACTION_STATUSES,
    }
