"""Review completion: of the partners due a business review in a quarter, the share whose
review was held on or before the quarter's last day — per manager, team and tier. A
cancelled review was not owed (the partner was terminated, or the review was called off with
a reason that stays on record)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet

from channelhub.lib.periods import Quarter
from maintenance.kpis import TeamTimeliness, Timeliness, team_timeliness

from .choices import ReviewStatus
from .models import BusinessReview

Completion = Timeliness  # (due, on time, percent): the same arithmetic
# A review held by its due date (the quarter's last day).
HELD_ON_TIME = Q(status__in=(ReviewStatus.HELD, ReviewStatus.CLOSED), held_on__lte=F("due_on"))


@dataclass
class QuarterCompletion:
    managers: dict[int, Completion] = field(default_factory=dict)
    tiers: dict[str, Completion] = field(default_factory=dict)
    total: Completion = field(default_factory=lambda: Completion(0, 0))

    def teams(self, team_members: dict[int, list[int]]) -> dict[int, Completion]:
        return team_timeliness(team_members, TeamTimeliness(people=self.managers))


def review_completion(
    quarter: Quarter, reviews: QuerySet[BusinessReview] | None = None
) -> QuarterCompletion:
    """One grouped query over the quarter's reviews (by manager and tier when planned)."""
    reviews = BusinessReview.objects.all() if reviews is None else reviews
    rows = (
        reviews.exclude(status=ReviewStatus.CANCELLED)  # not owed (see above)
        .filter(year=quarter.year, quarter=quarter.number)
        .values("manager_id", "tier")
        .annotate(
            due=Count("id"),
            on_time=Count("id", filter=HELD_ON_TIME),
        )
        .order_by()
    )
    managers: dict[int, list[int]] = {}
    tiers: dict[str, list[int]] = {}
    total = [0, 0]
    for row in rows:
        for bucket, key in ((managers, row["manager_id"]), (tiers, row["tier"])):
            counts = bucket.setdefault(key, [0, 0])
            counts[0] += row["due"]
            counts[1] += row["on_time"]
        total[0] += row["due"]
        total[1] += row["on_time"]
    return QuarterCompletion(
        managers={key: Completion(*counts) for key, counts in managers.items()},
        tiers={key: Completion(*counts) for key, counts in tiers.items()},
        total=Completion(*total),
    )
