"""The dashboards' figures (product.md §4), read from the summaries: a few grouped queries
whatever the number of sales lines.

A partner's figures for a period count for the tier it held on the period's last day (today
for the period under way). Target achievement compares the net sales of the partners that
have a target with the sum of their targets (months have none: targets are agreed per
quarter). Timeliness and review completion count the tasks and reviews due in the period of
the partners in the portfolio or tier."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from channelhub.lib.money import TENTH, exact, quantize
from channelhub.lib.money import percent as percent_of
from partners.choices import Province, Tier
from sales.performance import achievement_percent, growth_percent

from .models import PartnerPeriodSummary
from .periods import Period

TREND_PERIODS = 8
TOP = 10
ZERO = Decimal("0.00")
MONEY: DecimalField = DecimalField(max_digits=20, decimal_places=2)


@dataclass(frozen=True)
class Filters:
    """The dashboard's filters, named as the partner list's (its links carry them over)."""

    province: tuple[str, ...] = ()
    partner_type: tuple[str, ...] = ()
    owner: int | None = None

    def apply(self, rows: QuerySet) -> QuerySet:
        if self.province:
            rows = rows.filter(province__in=self.province)
        if self.partner_type:
            rows = rows.filter(partner_type__in=self.partner_type)
        if self.owner is not None:
            rows = rows.filter(owner_id=self.owner)
        return rows

    def query(self) -> list[tuple[str, Any]]:
        pairs: list[tuple[str, Any]] = [("province", value) for value in self.province]
        pairs += [("partner_type", value) for value in self.partner_type]
        if self.owner is not None:
            pairs.append(("owner", self.owner))
        return pairs


def partners_url(period: Period, filters: Filters, *, segment: str, **extra: Any) -> str:
    """The partner list behind a figure."""
    pairs = [("period", str(period)), ("segment", segment), *filters.query()]
    pairs += [(key, value) for key, value in extra.items() if value not in (None, "")]
    return f"{reverse('partners:partner_list')}?{urlencode(pairs)}"


@dataclass
class Figures:
    """Sums over some summary rows (a tier's, a manager's, everyone's) and what follows."""

    partners: int = 0
    at_start: int = 0
    new: int = 0
    terminated: int = 0
    promoted: int = 0
    demoted: int = 0
    active: int = 0
    net_sales: Decimal = ZERO
    net_sales_year_before: Decimal = ZERO
    net_sales_with_target: Decimal = ZERO
    target: Decimal = ZERO
    tasks_due: int = 0
    tasks_on_time: int = 0
    reviews_due: int = 0
    reviews_on_time: int = 0
    interactions: int = 0
    rebate_cost: Decimal = ZERO
    net_sales_squared: Decimal = ZERO
    share: Decimal | None = None  # of all net sales, set by the caller

    def add(self, other: Figures) -> None:
        for item in fields(self):
            if item.name != "share":
                setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    @property
    def growth(self) -> Decimal | None:
        return growth_percent(self.net_sales, self.net_sales_year_before)

    @property
    def activity_rate(self) -> Decimal | None:
        return percent_of(self.active, self.at_start)

    @property
    def churn_rate(self) -> Decimal | None:
        return percent_of(self.terminated, self.at_start)

    @property
    def achievement(self) -> Decimal | None:
        return achievement_percent(self.net_sales_with_target, self.target)

    @property
    def timeliness(self) -> Decimal | None:
        return percent_of(self.tasks_on_time, self.tasks_due)

    @property
    def review_completion(self) -> Decimal | None:
        return percent_of(self.reviews_on_time, self.reviews_due)

    @property
    def interactions_per_partner(self) -> Decimal | None:
        return (
            quantize(Decimal(self.interactions) / self.partners, TENTH) if self.partners else None
        )

    @property
    def hhi(self) -> Decimal | None:
        """Σ (share in %)², 0–10 000; undefined unless net sales are positive."""
        if self.net_sales <= 0:
            return None
        return quantize(self.net_sales_squared * 10000 / (self.net_sales * self.net_sales), TENTH)


def _aggregates() -> dict[str, Any]:
    """The sums behind `Figures`, keyed `f_<attribute>` (a key may not be a column's name)."""
    return {
        f"f_{name}": aggregate
        for name, aggregate in {
            "partners": Count("id", filter=Q(at_end=True)),
            "at_start": Count("id", filter=Q(at_start=True)),
            "new": Count("id", filter=Q(is_new=True)),
            "terminated": Count("id", filter=Q(terminated=True)),
            "promoted": Count("id", filter=Q(movement__gt=0)),
            "demoted": Count("id", filter=Q(movement__lt=0)),
            "active": Count("id", filter=Q(at_end=True, net_sales__gt=0)),
            "net_sales": Sum("net_sales"),
            "net_sales_year_before": Sum("net_sales_year_before"),
            "net_sales_with_target": Sum("net_sales", filter=Q(target__isnull=False)),
            "target": Sum("target"),
            "tasks_due": Sum("tasks_due"),
            "tasks_on_time": Sum("tasks_on_time"),
            "reviews_due": Sum("reviews_due"),
            "reviews_on_time": Sum("reviews_on_time"),
            "interactions": Sum("interactions"),
            "rebate_cost": Sum("rebate_cost"),
            "net_sales_squared": Sum(F("net_sales") * F("net_sales"), output_field=MONEY),
        }.items()
    }


def _figures(row: dict[str, Any]) -> Figures:
    values: dict[str, Any] = {}
    for item in fields(Figures):
        value = row.get(f"f_{item.name}")
        if item.name == "share":
            continue
        if item.type == "Decimal":
            values[item.name] = exact(value)
        else:
            values[item.name] = int(value or 0)
    return Figures(**values)


# What a tier dashboard shows per tier, in order: (attribute, label, kind, partner-list segment)
TIER_FIGURES: list[tuple[str, Any, str, str]] = [
    ("partners", _("Partners"), "count", "partners"),
    ("new", _("New partners"), "count", "new"),
    ("promoted", _("Promoted"), "count", "promoted"),
    ("demoted", _("Demoted"), "count", "demoted"),
    ("terminated", _("Terminated"), "count", "terminated"),
    ("net_sales", _("Net sales"), "money", "all"),
    ("share", _("Share of net sales"), "percent", "all"),
    ("growth", _("Growth"), "percent", "all"),
    ("activity_rate", _("Activity rate"), "percent", "active"),
    ("churn_rate", _("Churn rate"), "percent", "terminated"),
    ("achievement", _("Target achievement"), "percent", "target"),
    ("timeliness", _("Maintenance timeliness"), "percent", "tasks"),
    ("review_completion", _("Review completion"), "percent", "reviews"),
    ("rebate_cost", _("Rebate cost"), "money", "rebates"),
]


SEGMENT_OF = {name: segment for name, _label, _kind, segment in TIER_FIGURES}


@dataclass
class Concentration:
    top10: Decimal  # net sales of the 10 largest partners
    total: Decimal
    hhi: Decimal | None

    @property
    def top10_percent(self) -> Decimal | None:
        return percent_of(self.top10, self.total) if self.total > 0 else None


@dataclass
class TierDashboard:
    period: Period
    filters: Filters
    periods: list[Period]  # the trend, oldest first; the last is `period`
    by_period: dict[Period, dict[str, Figures]]  # tier → figures, and "total"
    concentration: dict[Period, Concentration]
    provinces: list[tuple[str, Decimal]]  # the period's net sales by province, largest first
    hhi_warning: int = 1500
    top10_warning_percent: int = 50
    warnings: list[str] = field(default_factory=list)

    @property
    def tiers(self) -> dict[str, Figures]:
        return self.by_period[self.period]

    def cells(self) -> Iterator[dict[str, Any]]:
        """The table: one row per figure, a cell per tier and the total, each with its link."""
        for name, label, kind, segment in TIER_FIGURES:
            cells = []
            for tier in [*Tier.values, ""]:
                figures = self.tiers[tier or "total"]
                cells.append(
                    {
                        "value": getattr(figures, name),
                        "url": partners_url(
                            self.period, self.filters, segment=segment, period_tier=tier
                        ),
                    }
                )
            yield {"name": name, "label": label, "kind": kind, "cells": cells}

    def trend(self, name: str) -> list[dict[str, Any]]:
        segment = SEGMENT_OF[name]
        return [
            {
                "period": period,
                "values": [getattr(self.by_period[period][tier], name) for tier in Tier.values],
                "total": getattr(self.by_period[period]["total"], name),
                "cells": [  # the tiers' and the total's value, each with its partners
                    {
                        "value": getattr(self.by_period[period][tier or "total"], name),
                        "url": partners_url(
                            period, self.filters, segment=segment, period_tier=tier
                        ),
                    }
                    for tier in [*Tier.values, ""]
                ],
            }
            for period in self.periods
        ]

    def province_rows(self) -> list[dict[str, Any]]:
        labels = dict(Province.choices)
        return [
            {
                "code": code,
                "label": labels.get(code, code),
                "net_sales": net,
                "url": partners_url(
                    self.period, replace(self.filters, province=(code,)), segment="all"
                ),
            }
            for code, net in self.provinces
        ]


def _largest(rows: QuerySet, periods: list[Period]) -> list[tuple[Any, Any]]:
    """(start, net sales) of the 10 largest partners of each period among those that sold
    (or were credited) anything: one statement of a LIMIT per period, each read backwards
    along the (kind, start, net sales) index (a window over every row cost 1.2 s at 100 000
    partners × 8 periods)."""
    parts: list[str] = []
    params: list[Any] = []
    for index, period in enumerate(periods):
        largest = (
            rows.filter(start=period.start)
            .exclude(net_sales=0)
            .order_by("-net_sales")
            .values_list("start", "net_sales")[:TOP]
        )
        sql, part_params = largest.query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) largest_{index}")  # noqa: S608 (ORM's SQL)
        params += part_params
    if not parts:
        return []
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return cursor.fetchall()


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def trend_periods(period: Period, first_covered: date) -> list[Period]:
    return [
        p
        for p in (period - offset for offset in range(TREND_PERIODS - 1, -1, -1))
        if p.start >= first_covered
    ]


def tier_dashboard(
    period: Period,
    filters: Filters,
    *,
    first_covered: date,
    hhi_warning: int = 1500,
    top10_warning_percent: int = 50,
) -> TierDashboard:
    """Three queries: the figures per period and tier, the 10 largest partners of each
    period, the period's net sales per province."""
    periods = trend_periods(period, first_covered)
    rows = filters.apply(
        PartnerPeriodSummary.objects.filter(kind=period.kind, start__in=[p.start for p in periods])
    )
    by_period: dict[Period, dict[str, Figures]] = {
        p: {key: Figures() for key in [*Tier.values, "total"]} for p in periods
    }
    grouped = rows.values("start", "tier").annotate(**_aggregates()).order_by()
    for row in grouped:
        tiers = by_period[Period(period.kind, row["start"])]
        figures = _figures(row)
        tiers[row["tier"]] = figures
        tiers["total"].add(figures)
    for tiers in by_period.values():
        total = tiers["total"].net_sales
        for figures in tiers.values():
            figures.share = percent_of(figures.net_sales, total) if total > 0 else None
    top: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for start, net in _largest(rows, periods):
        top[_as_date(start)] += exact(net)
    concentration = {
        p: Concentration(top10=top[p.start], total=tiers["total"].net_sales, hhi=tiers["total"].hhi)
        for p, tiers in by_period.items()
    }
    provinces = list(
        rows.filter(start=period.start)
        .values_list("province")
        .annotate(net=Sum("net_sales"))
        .order_by("-net", "province")
    )
    dashboard = TierDashboard(
        period=period,
        filters=filters,
        periods=periods,
        by_period=by_period,
        concentration=concentration,
        provinces=provinces,
        hhi_warning=hhi_warning,
        top10_warning_percent=top10_warning_percent,
    )
    current = concentration[period]
    if current.hhi is not None and current.hhi > hhi_warning:
        dashboard.warnings.append("hhi")
    if current.top10_percent is not None and current.top10_percent > top10_warning_percent:
        dashboard.warnings.append("top10")
    return dashboard


@dataclass
class ManagerRow:
    owner_id: int | None
    tiers: dict[str, int]  # partners owned per tier
    figures: Figures


def team_dashboard(period: Period, filters: Filters) -> list[ManagerRow]:
    """One grouped query: per owner and tier; the caller names the owners and sorts."""
    rows = filters.apply(PartnerPeriodSummary.objects.filter(kind=period.kind, start=period.start))
    managers: dict[int | None, ManagerRow] = {}
    grouped = rows.values("owner_id", "tier").annotate(**_aggregates()).order_by()
    for row in grouped:
        manager = managers.setdefault(
            row["owner_id"], ManagerRow(row["owner_id"], dict.fromkeys(Tier.values, 0), Figures())
        )
        figures = _figures(row)
        manager.tiers[row["tier"]] += figures.partners
        manager.figures.add(figures)
    return list(managers.values())


def portfolio_figures(
    period: Period, owner_ids: list[int] | None, *, partners: QuerySet | None = None
) -> Figures:
    """The summed figures of some owners' partners (everyone's with None), or of the
    partners of a queryset."""
    rows = PartnerPeriodSummary.objects.filter(kind=period.kind, start=period.start)
    if owner_ids is not None:
        rows = rows.filter(owner_id__in=owner_ids)
    if partners is not None:
        rows = rows.filter(partner_id__in=partners.values("pk"))
    return _figures(rows.aggregate(**_aggregates()))
