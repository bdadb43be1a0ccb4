"""From a dashboard figure to the partners behind it: the partner list's `period`,
`period_tier` and `segment` filters select partners by their summary row for the period."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .models import PartnerPeriodSummary
from .periods import Period

SEGMENTS = {
    "all": (Q(), _("All partners with figures")),
    "partners": (Q(at_end=True), _("Partners at the period's end")),
    "at_start": (Q(at_start=True), _("Partners at the period's start")),
    "new": (Q(is_new=True), _("New")),
    "terminated": (Q(terminated=True), _("Terminated")),
    "promoted": (Q(movement__gt=0), _("Promoted")),
    "demoted": (Q(movement__lt=0), _("Demoted")),
    "active": (Q(at_end=True, net_sales__gt=0), _("Active")),
    "target": (Q(target__isnull=False), _("With a target")),
    "tasks": (Q(tasks_due__gt=0), _("Maintenance tasks due")),
    "reviews": (Q(reviews_due__gt=0), _("Reviews due")),
    "rebates": (~Q(rebate_cost=0), _("With a rebate cost")),
    "top10": (Q(), _("The 10 largest")),
}
SEGMENT_CHOICES = [(key, label) for key, (_q, label) in SEGMENTS.items()]
TOP = 10


def validate_period(text: str) -> None:
    if text and Period.parse(text) is None:
        raise ValidationError(_("Give a period as 2026Q3, 2026-09 or 2026."))


def behind_figure(partners: QuerySet, *, period_text: str, tier: str, segment: str) -> QuerySet:
    """`partners` narrowed to those whose summary row for the period is in the segment (and
    the tier, if given). Without a period, unchanged."""
    period = Period.parse(period_text or "")
    if period is None:
        return partners
    rows = PartnerPeriodSummary.objects.filter(kind=period.kind, start=period.start)
    if tier:
        rows = rows.filter(tier=tier)
    condition, _label = SEGMENTS.get(segment or "all", SEGMENTS["all"])
    rows = rows.filter(condition)
    if segment == "top10":  # the largest among the partners the viewer and the filters keep
        top = (
            rows.filter(partner_id__in=partners.values("pk"))
            .exclude(net_sales=0)
            .order_by("-net_sales", "partner_id")[:TOP]
        )
        return partners.filter(pk__in=list(top.values_list("partner_id", flat=True)))
    return partners.filter(pk__in=rows.values("partner_id"))
