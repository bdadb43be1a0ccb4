"""A partner's performance (product.md §4): net sales by quarter for the last 8 quarters,
growth vs the same quarter a year earlier, target achievement, and sales by category.
Everything is aggregated in the database: three queries whatever the number of lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import DecimalField, QuerySet, Sum
from django.db.models.functions import TruncQuarter

from channelhub.lib.money import exact, quantize
from channelhub.lib.periods import Quarter
from partners.models import Partner

from .choices import DocType
from .models import Category, SalesLine, SalesTarget
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
        return growth_percent(self.net_sales, self.net_sales_year_before)

    @property
    def achievement_percent(self) -> Decimal | None:
        return achievement_percent(self.net_sales, self.target)


def growth_percent(net_sales: Decimal, year_before: Decimal) -> Decimal | None:
    """Undefined (None, shown "—") when the earlier figure is ≤ 0 (product.md §4)."""
    if year_before <= 0:
        return None
    return quantize((net_sales - year_before) * 100 / year_before, PERCENT)


def achievement_percent(net_sales: Decimal, target: Decimal | None) -> Decimal | None:
    """Undefined without a target (or a target of 0)."""
    if not target:
        return None
    return quantize(net_sales * 100 / target, PERCENT)


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
    """Three small queries whatever the number of lines: net sales by day and category over
    the 12 quarters needed (8 shown, 4 before them for growth) in one pass over the
    partner's lines, the names of those categories, and the annual targets."""
    current = Quarter.of(today)
    first = current - (QUARTERS_SHOWN - 1)
    earliest = first - 4  # for the growth of the first quarter shown
    recent = current - 3  # the categories are those of the last four quarters
    zero = Decimal("0.00")
    by_quarter: dict[tuple[int, int], Decimal] = {}  # (year, quarter number): cheap keys
    by_category: dict[int, Decimal] = {}
    recent_key = (recent.year, recent.number)
    for day, category_id, amount in _net_by_day_and_category(
        partner.pk, earliest.start, current.end
    ):
        key = (day.year, (day.month - 1) // 3 + 1)
        by_quarter[key] = by_quarter.get(key, zero) + amount
        if key >= recent_key:
            by_category[category_id] = by_category.get(category_id, zero) + amount
    net = {Quarter(year, number): amount for (year, number), amount in by_quarter.items()}
    targets = _quarter_targets(partner.pk, first.year, current.year)
    quarters = []
    for offset in range(QUARTERS_SHOWN):
        quarter = first + offset
        target = targets.get(quarter.year)
        quarters.append(
            QuarterFigures(
                quarter=quarter,
                net_sales=net.get(quarter, zero),
                net_sales_year_before=net.get(quarter - 4, zero),
                target=target[quarter.number - 1] if target else None,
            )
        )
    names = _category_names(list(by_category))
    categories = sorted(
        (CategoryFigures(names[pk], amount) for pk, amount in by_category.items()),
        key=lambda figures: (-figures.net_sales, figures.name),
    )
    return PartnerPerformance(quarters=quarters, by_category=categories)


def quarter_review_figures(partner_id: int, quarter: Quarter) -> dict[str, Any]:
    """What a business review shows (and freezes when it is closed), as JSON-ready strings:
    the quarter's and the year-to-date net sales against target and a year earlier, and the
    quarter's sales by category. The same three queries as the partner page."""
    zero = Decimal("0.00")
    year_start = Quarter(quarter.year, 1)
    net = dict.fromkeys(("q", "q_before", "ytd", "ytd_before"), zero)
    by_category: dict[int, Decimal] = {}
    for day, category_id, amount in _net_by_day_and_category(
        partner_id, (year_start - 4).start, quarter.end
    ):
        this_quarter = Quarter.of(day)
        this_year = this_quarter.year == quarter.year
        if this_quarter.number > quarter.number:
            continue  # later in the year before: not part of its year to date
        net["ytd" if this_year else "ytd_before"] += amount
        if this_quarter.number == quarter.number:
            net["q" if this_year else "q_before"] += amount
            if this_year:
                by_category[category_id] = by_category.get(category_id, zero) + amount
    target_row = _quarter_targets(partner_id, quarter.year, quarter.year).get(quarter.year)
    target = target_row[quarter.number - 1] if target_row else None
    ytd_target = sum(target_row[: quarter.number], zero) if target_row else None
    names = _category_names(list(by_category))
    categories = sorted(by_category.items(), key=lambda item: (-item[1], names[item[0]]))

    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "quarter": str(quarter),
        "net_sales": text(net["q"]),
        "net_sales_year_before": text(net["q_before"]),
        "growth_percent": text(growth_percent(net["q"], net["q_before"])),
        "target": text(target),
        "achievement_percent": text(achievement_percent(net["q"], target)),
        "ytd_net_sales": text(net["ytd"]),
        "ytd_net_sales_year_before": text(net["ytd_before"]),
        "ytd_growth_percent": text(growth_percent(net["ytd"], net["ytd_before"])),
        "ytd_target": text(ytd_target),
        "ytd_achievement_percent": text(achievement_percent(net["ytd"], ytd_target)),
        "by_category": [
            {
                "name": names[category_id],
                "net_sales": text(amount),
                "share_percent": text(achievement_percent(amount, net["q"]))
                if net["q"] > 0
                else None,
            }
            for category_id, amount in categories
        ],
    }


# The partner page's queries are written in SQL (portable: no date functions) because the
# ORM took longer to build them than the database took to answer (`make bench`).


def _rows(sql: str, params: Sequence[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _net_by_day_and_category(
    partner_id: int, start: date, end: date
) -> list[tuple[date, int, Decimal]]:
    sql = f"""
        SELECT date, category_id,
               SUM(CASE WHEN doc_type = %s THEN -net_amount ELSE net_amount END)
        FROM {SalesLine._meta.db_table}
        WHERE partner_id = %s AND date BETWEEN %s AND %s
        GROUP BY date, category_id
    """  # noqa: S608 (the table name comes from the model; values are parameters)
    rows = _rows(sql, [DocType.CREDIT_NOTE, partner_id, start, end])
    return [(day, category_id, exact(amount)) for day, category_id, amount in rows]


def _quarter_targets(
    partner_id: int, first_year: int, last_year: int
) -> dict[int, tuple[Decimal, ...]]:
    sql = f"""
        SELECT year, q1, q2, q3, q4 FROM {SalesTarget._meta.db_table}
        WHERE partner_id = %s AND category_id IS NULL AND year BETWEEN %s AND %s
    """  # noqa: S608
    rows = _rows(sql, [partner_id, first_year, last_year])
    return {year: tuple(exact(amount) for amount in quarters) for year, *quarters in rows}


def _category_names(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    sql = f"SELECT id, name FROM {Category._meta.db_table} WHERE id IN ({marks})"  # noqa: S608
    return dict(_rows(sql, list(ids)))


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
