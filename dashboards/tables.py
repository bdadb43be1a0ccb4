"""The dashboards' tables as header + rows: what the pages show beside their charts and what
their CSV/.xlsx downloads hold (the same figures, undefined ones left empty)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from partners.choices import Province, Tier

from .figures import TIER_FIGURES, ManagerRow, TierDashboard
from .myday import AtRisk, MyKpis

Table = tuple[list[str], Sequence[Sequence[Any]]]
TIER_HEADER = [str(label) for label in Tier.labels]


def _value(value: Any) -> Any:
    return "" if value is None else value


def tier_figures(dashboard: TierDashboard) -> Table:
    header = [_("Figure"), *TIER_HEADER, _("Total")]
    rows = [
        [str(row["label"]), *(_value(cell["value"]) for cell in row["cells"])]
        for row in dashboard.cells()
    ]
    return header, rows


def tier_trend(dashboard: TierDashboard) -> Table:
    header = [_("Period"), _("Figure"), *TIER_HEADER, _("Total")]
    rows: list[Sequence[Any]] = []
    for name, label, _kind, _segment in TIER_FIGURES:
        for point in dashboard.trend(name):
            rows.append(
                [
                    str(point["period"]),
                    str(label),
                    *map(_value, point["values"]),
                    _value(point["total"]),
                ]
            )
    return header, rows


def concentration(dashboard: TierDashboard) -> Table:
    header = [
        _("Period"),
        _("Net sales of the 10 largest"),
        _("Net sales"),
        _("Top-10 share (%)"),
        _("HHI"),
    ]
    rows = [
        [
            str(period),
            figures.top10,
            figures.total,
            _value(figures.top10_percent),
            _value(figures.hhi),
        ]
        for period, figures in ((p, dashboard.concentration[p]) for p in dashboard.periods)
    ]
    return header, rows


def provinces(dashboard: TierDashboard) -> Table:
    labels = dict(Province.choices)
    return [_("Province"), _("Net sales")], [
        [str(labels.get(code, code)), net] for code, net in dashboard.provinces
    ]


def team(rows: list[tuple[str, ManagerRow]]) -> Table:
    header = [
        _("Manager"),
        *TIER_HEADER,
        _("Maintenance timeliness (%)"),
        _("Review completion (%)"),
        _("Interactions per partner"),
        _("Net sales"),
        _("Net sales a year earlier"),
        _("Growth (%)"),
    ]
    return header, [
        [
            name,
            *(row.tiers[tier] for tier in Tier.values),
            _value(row.figures.timeliness),
            _value(row.figures.review_completion),
            _value(row.figures.interactions_per_partner),
            row.figures.net_sales,
            row.figures.net_sales_year_before,
            _value(row.figures.growth),
        ]
        for name, row in rows
    ]


def my_kpis(kpis: MyKpis) -> Table:
    header = [_("Figure"), _("Me"), str(kpis.team_label)]
    return header, [
        [_("Maintenance timeliness (%)"), _value(kpis.mine.timeliness),
         _value(kpis.team.timeliness)],
        [_("Review completion (%)"), _value(kpis.mine.review_completion),
         _value(kpis.team.review_completion)],
        [_("Interactions per partner"), _value(kpis.mine.interactions_per_partner),
         _value(kpis.team.interactions_per_partner)],
    ]  # fmt: skip


def at_risk(partners: list[AtRisk], reason_labels: dict[str, str]) -> Table:
    return [_("Partner code"), _("Partner"), _("Warning signs")], [
        [item.partner.code, str(item.partner), "; ".join(reason_labels[r] for r in item.reasons)]
        for item in partners
    ]
