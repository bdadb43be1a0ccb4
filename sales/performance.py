"""A partner's performance (product.md §4): net sales by quarter for the last 8 quarters,
growth vs the same quarter a year earlier, target achievement, and sales by category.
Everything is aggregated in the database: three queries whatever the number of lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, QuerySet, Sum
from django.db.models.functions import TruncQuarter

from channelhub.lib.money import quantize
from channelhub.lib.periods import Quarter
from partners.models import Partner

from .models import SalesLine, SalesTarget
from .querysets import signed

QUARTERS_SHOWN = 8
PERCENT = Decimal("0.1")


@dataclass(frozen=True)
class QuarterFigures:
    quarter: Quarter
    net_sales: Decimal
    net_sales_year_before: Decimal
    target: Decimal | None

    @property
    def growth_percent(self) -> Decimal | None:
        """Undefined (None, shown "—") when the earlier figure is ≤ 0 (product.md §4)."""
        earlier = self.net_sales_year_before
        if earlier <= 0:
            return None
        return quantize((self.net_sales - earlier) * 100 / earlier, PERCENT)

    @property
    def achievement_percent(self) -> Decimal | None:
        if not self.target:
            return None
        return quantize(self.net_sales * 100 / self.target, PERCENT)


@dataclass(frozen=True)
class CategoryFigures:
    name: str
    net_sales: Decimal


@dataclass(frozen=True)
class PartnerPerformance:
    quarters: list[QuarterFigures]  # oldest first
    by_category: list[CategoryFigures]  # the last four quarters, largest first

    @property
    def last_four_quarters(self) -> Decimal:
        return sum((figures.net_sales for figures in self.quarters[-4:]), Decimal(0))


def _net_amount() -> Sum:
    return Sum(signed("net_amount"), output_field=DecimalField(max_digits=16, decimal_places=2))


def partner_performance(partner: Partner, *, today: date) -> PartnerPerformance:
    current = Quarter.of(today)
    first = current - (QUARTERS_SHOWN - 1)
    earliest = first - 4  # for the growth of the first quarter shown
    lines = SalesLine.objects.filter(partner=partner)
    net = {
        Quarter.of(day): amount
        for day, amount in lines.filter(date__range=(earliest.start, current.end))
        .annotate(quarter=TruncQuarter("date"))
        .values("quarter")
        .annotate(net=_net_amount())
        .values_list("quarter", "net")
    }
    targets = {
        target.year: target
        for target in SalesTarget.objects.filter(
            partner=partner, category=None, year__range=(first.year, current.year)
        )
    }
    zero = Decimal("0.00")
    quarters = []
    for offset in range(QUARTERS_SHOWN):
        quarter = first + offset
        target = targets.get(quarter.year)
        quarters.append(
            QuarterFigures(
                quarter=quarter,
                net_sales=net.get(quarter, zero),
                net_sales_year_before=net.get(quarter - 4, zero),
                target=target.quarter_amount(quarter.number) if target else None,
            )
        )
    by_category = [
        CategoryFigures(name, amount)
        for name, amount in lines.filter(date__range=((current - 3).start, current.end))
        .values("category__name")
        .annotate(net=_net_amount())
        .order_by("-net", "category__name")
        .values_list("category__name", "net")
    ]
    return PartnerPerformance(quarters=quarters, by_category=by_category)


def portfolio_net_sales(
    partners: QuerySet[Partner], *, today: date
) -> dict[int, dict[Quarter, Decimal]]:
    """Net sales by partner and quarter (the last 8 and the 4 before them, for growth) for a
    whole portfolio, in one grouped query: {partner id: {quarter: net sales}}."""
    current = Quarter.of(today)
    earliest = current - (QUARTERS_SHOWN - 1) - 4
    grouped = (
        SalesLine.objects.filter(partner__in=partners, date__range=(earliest.start, current.end))
        .annotate(quarter=TruncQuarter("date"))
        .values("partner_id", "quarter")
        .annotate(net=_net_amount())
        .values_list("partner_id", "quarter", "net")
    )
    result: dict[int, dict[Quarter, Decimal]] = {}
    for partner_id, day, amount in grouped:
        result.setdefault(partner_id, {})[Quarter.of(day)] = amount
    return result
