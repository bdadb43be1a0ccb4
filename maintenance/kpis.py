"""Maintenance timeliness (product.md §4): of the maintenance tasks due in a period, the
share completed on or before their due date — per assignee and for the whole team."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet

from channelhub.lib.money import percent as percent_of

from .choices import TaskStatus
from .models import MaintenanceTask

# A task done by its due date; cancelled tasks were never owed and are not counted at all.
DONE_ON_TIME = Q(status=TaskStatus.DONE, completed_on__lte=F("due_on"))


@dataclass(frozen=True)
class Timeliness:
    due: int
    on_time: int

    @property
    def percent(self) -> Decimal | None:
        """None (shown "—") when nothing was due."""
        return percent_of(self.on_time, self.due)


@dataclass
class TeamTimeliness:
    people: dict[int, Timeliness] = field(default_factory=dict)
    total: Timeliness = field(default_factory=lambda: Timeliness(0, 0))


def timeliness_by_assignee(
    start: date, end: date, tasks: QuerySet[MaintenanceTask] | None = None
) -> TeamTimeliness:
    """One grouped query over the tasks due from `start` to `end` (cancelled ones were never
    owed and do not count)."""
    tasks = MaintenanceTask.objects.all() if tasks is None else tasks
    rows = (
        tasks.exclude(status=TaskStatus.CANCELLED)
        .filter(due_on__range=(start, end))
        .values("assignee_id")
        .annotate(
            due=Count("id"),
            on_time=Count("id", filter=DONE_ON_TIME),
        )
        .order_by()
    )
    result = TeamTimeliness()
    due = on_time = 0
    for row in rows:
        result.people[row["assignee_id"]] = Timeliness(row["due"], row["on_time"])
        due, on_time = due + row["due"], on_time + row["on_time"]
    result.total = Timeliness(due, on_time)
    return result


def team_timeliness(
    team_members: dict[int, list[int]], people: TeamTimeliness
) -> dict[int, Timeliness]:
    """{team id: timeliness} from the per-person figures and each team's members."""
    result = {}
    for team_id, members in team_members.items():
        figures = [people.people[member] for member in members if member in people.people]
        result[team_id] = Timeliness(sum(f.due for f in figures), sum(f.on_time for f in figures))
    return result
