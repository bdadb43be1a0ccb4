"""What the dashboard API answers: read-only figures. Counts are integers, money and
percentages strings rounded half-up ("2100.00", "95.2"), an undefined figure null (never 0)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from channelhub.api.fields import Money, Percent
from partners.choices import PartnerType, Province, Tier

from ..figures import TIER_FIGURES, Figures, Filters, ManagerRow, TierDashboard, partners_url
from ..periods import Period


class DashboardFiltersSerializer(serializers.Serializer):
    province = serializers.ListField(child=serializers.ChoiceField(choices=Province.choices))
    partner_type = serializers.ListField(child=serializers.ChoiceField(choices=PartnerType.choices))
    owner = serializers.IntegerField(allow_null=True)


class DashboardFiguresSerializer(serializers.Serializer):
    """The figures of some partners in a period (product.md §4). A partner counts for the
    tier it held on the period's last day (today for the period under way)."""

    partners = serializers.IntegerField(help_text="Not terminated at the period's end (or today).")
    at_start = serializers.IntegerField(help_text="Partners, not terminated, on its first day.")
    new = serializers.IntegerField(help_text="Cooperation started within the period.")
    terminated = serializers.IntegerField()
    promoted = serializers.IntegerField()
    demoted = serializers.IntegerField()
    active = serializers.IntegerField(help_text="Not terminated at the end, net sales > 0.")
    net_sales = Money()
    net_sales_year_before = Money()
    net_sales_with_target = Money(help_text="Net sales of the partners that have a target.")
    target = Money(help_text="Months have no target: 0.")
    tasks_due = serializers.IntegerField()
    tasks_on_time = serializers.IntegerField()
    reviews_due = serializers.IntegerField()
    reviews_on_time = serializers.IntegerField()
    interactions = serializers.IntegerField()
    rebate_cost = Money()
    share = Percent(help_text="Of all net sales (under the same filters).")
    growth = Percent(help_text="Against the same period a year earlier; null when undefined.")
    activity_rate = Percent()
    churn_rate = Percent()
    achievement = Percent(help_text="Net sales with a target / the targets.")
    timeliness = Percent(help_text="Maintenance tasks due in the period done on time.")
    review_completion = Percent(help_text="Reviews due in the period held on time.")
    interactions_per_partner = Percent()
    hhi = Percent(help_text="Σ (share of net sales in %)², 0–10 000.")


class DashboardLinkedFiguresSerializer(DashboardFiguresSerializer):
    """Figures with the partner list behind each one; its instance is (figures, urls)."""

    partners_urls = serializers.DictField(
        child=serializers.CharField(),
        help_text="The partner list behind each figure of the dashboard's table, by name: "
        + ", ".join(name for name, _label, _kind, _segment in TIER_FIGURES)
        + ".",
    )

    def to_representation(self, instance: tuple[Figures, dict[str, str]]) -> dict[str, Any]:
        figures, urls = instance
        return {**DashboardFiguresSerializer(figures).data, "partners_urls": urls}


class DashboardTierFiguresSerializer(serializers.Serializer):
    core = DashboardFiguresSerializer()
    regular = DashboardFiguresSerializer()
    potential = DashboardFiguresSerializer()
    total = DashboardFiguresSerializer()


class DashboardLinkedTierFiguresSerializer(serializers.Serializer):
    core = DashboardLinkedFiguresSerializer()
    regular = DashboardLinkedFiguresSerializer()
    potential = DashboardLinkedFiguresSerializer()
    total = DashboardLinkedFiguresSerializer()


class DashboardTrendSerializer(serializers.Serializer):
    period = serializers.CharField()
    tiers = DashboardTierFiguresSerializer()


class DashboardConcentrationSerializer(serializers.Serializer):
    period = serializers.CharField()
    top10 = Money(help_text="Net sales of the 10 largest partners.")
    total = Money()
    top10_percent = Percent()
    hhi = Percent(help_text="Σ (share of net sales in %)², 0–10 000; null unless sales > 0.")


class DashboardProvinceSerializer(serializers.Serializer):
    province = serializers.ChoiceField(choices=Province.choices)
    name = serializers.CharField()
    net_sales = Money()


class TierDashboardSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="2026Q3, 2026-09 or 2026.")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    filters = DashboardFiltersSerializer()
    tiers = DashboardLinkedTierFiguresSerializer(help_text="The period's figures.")
    trend = DashboardTrendSerializer(many=True, help_text="Up to 8 periods, oldest first.")
    concentration = DashboardConcentrationSerializer(many=True, help_text="Per trend period.")
    provinces = DashboardProvinceSerializer(many=True, help_text="Largest net sales first.")
    hhi_warning = serializers.IntegerField()
    top10_warning_percent = serializers.IntegerField()
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="`hhi`: the period's HHI is above the warning level; `top10`: the 10 "
        "largest partners make more than the warning share of net sales.",
    )


class DashboardTierCountsSerializer(serializers.Serializer):
    core = serializers.IntegerField()
    regular = serializers.IntegerField()
    potential = serializers.IntegerField()


class DashboardKpisSerializer(serializers.Serializer):
    tasks_due = serializers.IntegerField()
    tasks_on_time = serializers.IntegerField()
    timeliness = Percent()
    reviews_due = serializers.IntegerField()
    reviews_on_time = serializers.IntegerField()
    review_completion = Percent()


class DashboardManagerSerializer(DashboardKpisSerializer):
    FIGURES = (
        "partners", "net_sales", "net_sales_year_before", "growth", "tasks_due", "tasks_on_time",
        "timeliness", "reviews_due", "reviews_on_time", "review_completion", "interactions",
        "interactions_per_partner",
    )  # fmt: skip

    owner = serializers.IntegerField(allow_null=True, help_text="null: partners without owner.")
    owner_name = serializers.CharField()
    partners = serializers.IntegerField()
    tiers = DashboardTierCountsSerializer(help_text="Partners per tier.")
    net_sales = Money()
    net_sales_year_before = Money()
    growth = Percent()
    interactions = serializers.IntegerField()
    interactions_per_partner = Percent()
    partners_url = serializers.CharField(allow_null=True)


class TeamDashboardSerializer(serializers.Serializer):
    period = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    filters = DashboardFiltersSerializer()
    managers = DashboardManagerSerializer(many=True, help_text="By owner name.")
    total = DashboardManagerSerializer(help_text="Everyone's (owner null, name empty).")


class DashboardPartnerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    legal_name = serializers.CharField()
    short_name = serializers.CharField()
    tier = serializers.ChoiceField(choices=Tier.choices)


class DashboardTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    partner = DashboardPartnerSerializer()
    kind = serializers.CharField()
    title = serializers.CharField()
    due_on = serializers.DateField()


class DashboardReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    partner = DashboardPartnerSerializer()
    period = serializers.CharField(help_text="The quarter, for example 2026Q4.")
    due_on = serializers.DateField()
    scheduled_at = serializers.DateTimeField(allow_null=True)


class DashboardAtRiskSerializer(serializers.Serializer):
    partner = DashboardPartnerSerializer()
    reasons = serializers.ListField(
        child=serializers.CharField(),
        help_text="`no_sales` this quarter so far; `sales_down` over 20 % in the last full "
        "quarter against a year earlier; `contact_overdue`; `low_score` at the last closed "
        "review.",
    )


class DashboardRatesSerializer(serializers.Serializer):
    """The team's rates only: with its counts, a member of a small team could work out a
    colleague's."""

    timeliness = Percent()
    review_completion = Percent()


class DashboardMyKpisSerializer(serializers.Serializer):
    quarter = serializers.CharField()
    mine = DashboardKpisSerializer(help_text="My portfolio's partners.")
    team = DashboardRatesSerializer(help_text="My teams' partners (everyone's if in no team).")
    team_label = serializers.CharField()


class MyDaySerializer(serializers.Serializer):
    today = serializers.DateField()
    week_end = serializers.DateField()
    overdue_tasks = DashboardTaskSerializer(many=True)
    week_tasks = DashboardTaskSerializer(many=True, help_text="Due from today to Sunday.")
    reviews = DashboardReviewSerializer(many=True, help_text="Planned, due this quarter.")
    at_risk = DashboardAtRiskSerializer(many=True, help_text="Up to 50, by name.")
    low_score = serializers.DecimalField(max_digits=3, decimal_places=1)
    kpis = DashboardMyKpisSerializer()


def _period_data(period: Period, filters: Filters) -> dict[str, Any]:
    return {
        "period": str(period),
        "period_start": period.start,
        "period_end": period.end,
        "filters": {
            "province": list(filters.province),
            "partner_type": list(filters.partner_type),
            "owner": filters.owner,
        },
    }


def tier_dashboard_data(dashboard: TierDashboard) -> dict[str, Any]:
    """The tier dashboard, shaped for `TierDashboardSerializer`."""
    urls: dict[str, dict[str, str]] = {key: {} for key in [*Tier.values, "total"]}
    for row in dashboard.cells():
        for key, cell in zip([*Tier.values, "total"], row["cells"], strict=True):
            urls[key][row["name"]] = cell["url"]
    concentration = dashboard.concentration
    return {
        **_period_data(dashboard.period, dashboard.filters),
        "tiers": {key: (figures, urls[key]) for key, figures in dashboard.tiers.items()},
        "trend": [
            {"period": str(period), "tiers": dashboard.by_period[period]}
            for period in dashboard.periods
        ],
        "concentration": [
            {
                "period": str(period),
                "top10": concentration[period].top10,
                "total": concentration[period].total,
                "top10_percent": concentration[period].top10_percent,
                "hhi": concentration[period].hhi,
            }
            for period in dashboard.periods
        ],
        "provinces": [
            {"province": code, "name": Province(code).label, "net_sales": net}
            for code, net in dashboard.provinces
        ],
        "hhi_warning": dashboard.hhi_warning,
        "top10_warning_percent": dashboard.top10_warning_percent,
        "warnings": dashboard.warnings,
    }


def _manager_data(
    owner_id: int | None, owner_name: str, tiers: dict[str, int], figures: Figures,
    url: str | None,
) -> dict[str, Any]:  # fmt: skip
    data = {name: getattr(figures, name) for name in DashboardManagerSerializer.FIGURES}
    return {"owner": owner_id, "owner_name": owner_name, "tiers": tiers, "partners_url": url,
            **data}  # fmt: skip


def team_dashboard_data(
    period: Period, filters: Filters, rows: list[ManagerRow], names: dict[int, str]
) -> dict[str, Any]:
    """One row per owner, by name (partners without owner last), and everyone's total."""

    def order(row: ManagerRow) -> tuple[bool, str, int]:
        owner = row.owner_id
        return (owner is None, "" if owner is None else names.get(owner, ""), owner or 0)

    total, total_tiers = Figures(), dict.fromkeys(Tier.values, 0)
    managers = []
    for row in sorted(rows, key=order):
        total.add(row.figures)
        for tier, count in row.tiers.items():
            total_tiers[tier] += count
        if row.owner_id is None:
            managers.append(_manager_data(None, "", row.tiers, row.figures, None))
            continue
        url = partners_url(period, replace(filters, owner=row.owner_id), segment="partners")
        name = names.get(row.owner_id, "")
        managers.append(_manager_data(row.owner_id, name, row.tiers, row.figures, url))
    everyone = partners_url(period, filters, segment="partners")
    return {
        **_period_data(period, filters),
        "managers": managers,
        "total": _manager_data(None, "", total_tiers, total, everyone),
    }


def my_day_data(day: dict[str, Any], *, low_score: Decimal) -> dict[str, Any]:
    """`dashboards.myday.my_day`, shaped for `MyDaySerializer`."""
    kpis = day["kpis"]
    keys = ("today", "week_end", "overdue_tasks", "week_tasks", "reviews", "at_risk")
    return {
        **{key: day[key] for key in keys},
        "low_score": low_score,
        "kpis": {
            "quarter": str(day["quarter"]),
            "mine": kpis.mine,
            "team": kpis.team,
            "team_label": kpis.team_label,
        },
    }
