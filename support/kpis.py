"""Issue KPIs (product.md §4) over a period, per tier, category, manager or assignee:
complaint rate (complaints opened per 100 active partners), SLA met % (of the issues
resolved in the period), median first response and resolution time (pauses excluded).
Three queries, whatever the number of issues' partners."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from statistics import median
from typing import Any

from django.db.models import Count, DecimalField, OuterRef, QuerySet, Subquery, Sum

from accounts.models import User
from channelhub.lib.money import TENTH, percent, quantize
from channelhub.lib.periods import local_midnight
from partners.choices import PartnerStatus, Tier
from partners.models import Partner
from sales.models import SalesLine
from sales.querysets import signed

from .choices import IssueCategory, IssueGrouping
from .models import PartnerIssue

# Tier and manager are the partner's current ones, as for the active partners they are
# divided by (the issue keeps those at opening for its own record).
ISSUE_KEY = {
    IssueGrouping.TIER: "partner__tier",
    IssueGrouping.CATEGORY: "category",
    IssueGrouping.MANAGER: "partner__owner_id",
    IssueGrouping.ASSIGNEE: "assignee_id",
}
PARTNER_KEY = {IssueGrouping.TIER: "tier", IssueGrouping.MANAGER: "owner_id"}


@dataclass
class IssueKpi:
    key: Any
    label: str = ""
    opened: int = 0
    complaints: int = 0
    resolved: int = 0
    sla_met: int = 0
    active_partners: int | None = None
    first_responses: list[int] = field(default_factory=list)
    resolution_times: list[int] = field(default_factory=list)

    @property
    def sla_met_percent(self) -> Decimal | None:
        return percent(self.sla_met, self.resolved)

    @property
    def complaint_rate(self) -> Decimal | None:
        return percent(self.complaints, self.active_partners or 0)

    @property
    def median_first_response_hours(self) -> Decimal | None:
        return _hours(self.first_responses)

    @property
    def median_resolution_hours(self) -> Decimal | None:
        return _hours(self.resolution_times)


def _hours(seconds: list[int]) -> Decimal | None:
    if not seconds:
        return None
    return quantize(Decimal(str(median(seconds))) / 3600, TENTH)


def issue_kpis(
    issues: QuerySet[PartnerIssue],
    partners: QuerySet[Partner],
    *,
    start: date,
    end: date,
    group_by: str,
) -> tuple[list[IssueKpi], IssueKpi]:
    """Rows per group and the total for the days `start`…`end` (issues and partners already
    scoped to what the viewer sees)."""
    grouping = IssueGrouping(group_by)
    key = ISSUE_KEY[grouping]
    since, until = local_midnight(start), local_midnight(end + timedelta(days=1))
    rows: dict[Any, IssueKpi] = {}
    total = IssueKpi(key=None)

    def row(value: Any) -> IssueKpi:
        return rows.setdefault(value, IssueKpi(key=value))

    opened = issues.filter(created_at__gte=since, created_at__lt=until)
    for values in opened.values(key, "category", "created_at", "first_response_at").order_by():
        target = row(values[key])
        for kpi in (target, total):
            kpi.opened += 1
            kpi.complaints += values["category"] == IssueCategory.COMPLAINT
            if values["first_response_at"] is not None:
                seconds = (values["first_response_at"] - values["created_at"]).total_seconds()
                kpi.first_responses.append(int(seconds))
    resolved = issues.filter(resolved_at__gte=since, resolved_at__lt=until)
    for values in resolved.values(key, "sla_met", "resolution_seconds").order_by():
        for kpi in (row(values[key]), total):
            kpi.resolved += 1
            kpi.sla_met += bool(values["sla_met"])
            if values["resolution_seconds"] is not None:
                kpi.resolution_times.append(values["resolution_seconds"])
    counts = active_partner_counts(partners, start, end, PARTNER_KEY.get(grouping))
    total.active_partners = sum(counts.values())
    if grouping in PARTNER_KEY:  # a category or an assignee has no partners of its own
        for value, count in counts.items():
            row(value).active_partners = count
    return _label(list(rows.values()), grouping), total


def active_partner_counts(
    partners: QuerySet[Partner], start: date, end: date, key: str | None
) -> dict[Any, int]:
    """Active partners (product.md §4: not terminated at the end of the period, net sales in
    it above zero), per `key` (or all under None)."""
    net = (
        SalesLine.objects.filter(partner=OuterRef("pk"), date__gte=start, date__lte=end)
        .order_by()
        .values("partner")
        .annotate(net=Sum(signed("net_amount")))
        .values("net")
    )
    active = (
        partners.exclude(status=PartnerStatus.TERMINATED, terminated_on__lte=end)
        .annotate(net=Subquery(net, output_field=DecimalField(max_digits=16, decimal_places=2)))
        .filter(net__gt=0)
    )
    if key is None:
        return {None: active.count()}
    return dict(active.values_list(key).annotate(count=Count("id")).order_by())


def _label(rows: list[IssueKpi], grouping: IssueGrouping) -> list[IssueKpi]:
    if grouping in (IssueGrouping.MANAGER, IssueGrouping.ASSIGNEE):
        names = {user.pk: str(user) for user in User.objects.filter(pk__in=[r.key for r in rows])}
        for kpi in rows:
            kpi.label = names.get(kpi.key, "—")
        return sorted(rows, key=lambda kpi: kpi.label)
    choices = Tier if grouping == IssueGrouping.TIER else IssueCategory
    labels, order = dict(choices.choices), list(choices.values)
    for kpi in rows:
        kpi.label = str(labels.get(kpi.key, "—"))
    return sorted(rows, key=lambda kpi: order.index(kpi.key) if kpi.key in order else 99)
