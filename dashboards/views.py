"""The dashboards' pages: thin views over figures.py / myday.py, each table downloadable
(?download=<table>&format=csv|xlsx) with the page's own access rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from channelhub.lib.tabular import download, write_csv, write_xlsx
from partners.choices import PartnerType, Province, Tier
from partners.filtersets import manager_choices
from partners.views import StaffViewMixin

from . import tables
from .figures import TIER_FIGURES, ManagerRow, partners_url, team_dashboard, tier_dashboard
from .forms import DashboardSettingsForm
from .models import DashboardSettings
from .myday import my_day
from .params import DashboardParams, read_params
from .periods import KINDS, Period
from .services import current_settings, queued_count

REASONS = {
    "no_sales": gettext_lazy("No sales this quarter"),
    "sales_down": gettext_lazy("Sales down > 20 % vs a year earlier"),
    "contact_overdue": gettext_lazy("Contact overdue"),
    "low_score": gettext_lazy("Low scorecard"),
}


@dataclass
class TeamRow:
    name: str
    row: ManagerRow
    links: dict[str, str]  # figure → the partner list behind it (none for "no owner")


def team_links(params: DashboardParams, row: ManagerRow) -> dict[str, str]:
    if row.owner_id is None:
        return {}
    filters = replace(params.filters, owner=row.owner_id)
    links = {
        key: partners_url(params.period, filters, segment=segment)
        for key, segment in (("partners", "partners"), ("tasks", "tasks"),
                             ("reviews", "reviews"), ("net_sales", "all"))
    }  # fmt: skip
    for tier in Tier.values:
        links[tier] = partners_url(params.period, filters, segment="partners", period_tier=tier)
    return links


TEAM_SORTS: dict[str, Callable[[TeamRow], Any]] = {
    "name": lambda row: row.name.lower(),
    "partners": lambda row: row.row.figures.partners,
    "timeliness": lambda row: row.row.figures.timeliness,
    "review_completion": lambda row: row.row.figures.review_completion,
    "interactions": lambda row: row.row.figures.interactions_per_partner,
    "net_sales": lambda row: row.row.figures.net_sales,
    "growth": lambda row: row.row.figures.growth,
}


def table_download(request: HttpRequest, name: str, table: tables.Table) -> HttpResponse:
    header, rows = table
    if request.GET.get("format") == "xlsx":
        return download(write_xlsx(name[:31], header, rows), f"{name}.xlsx")
    return download(write_csv(header, rows), f"{name}.csv")


def refuse_bad_filters(params: DashboardParams) -> HttpResponse:
    """A download asked with a filter that cannot be read: refused with the reasons (a
    page shows what it fell back to; a file would pass for the figures asked for)."""
    return HttpResponseBadRequest(
        "\n".join(str(message) for message in params.errors.values()),
        content_type="text/plain; charset=utf-8",
    )


def period_choices(params: DashboardParams) -> list[Period]:
    """The chosen kind's periods that have figures, newest first."""
    today = timezone.localdate()
    period = Period.of(params.period.kind, today)
    choices = []
    while period.start >= params.first_covered:
        choices.append(period)
        period -= 1
    return choices


def filter_context(
    request: HttpRequest, params: DashboardParams, settings: DashboardSettings
) -> dict[str, Any]:
    today = timezone.localdate()
    for message in params.errors.values():  # already worded for the reader
        messages.warning(request, message)
    return {
        "params": params,
        "period": params.period,
        "period_choices": period_choices(params),
        "kinds": [(kind, label, str(Period.of(kind, today))) for kind, label in KINDS.items()],
        "provinces": Province.choices,
        "partner_types": PartnerType.choices,
        "managers": manager_choices(request),
        "queued": queued_count(),
        "settings": settings,
        # Until tonight's rebuild is through, the period under way lacks today's rows.
        "rebuild_pending": settings.rebuilt_at is None
        or timezone.localtime(settings.rebuilt_at).date() < today,
    }


def chart(
    categories: list[str], series: list[dict[str, Any]], kind: str = "line"
) -> dict[str, Any]:
    """What static/js/dashboards.js draws (values as strings: exact decimals, null = undefined)."""
    return {
        "kind": kind,
        "categories": categories,
        "series": [
            {
                "name": str(item["name"]),
                "data": [None if v is None else str(v) for v in item["data"]],
            }
            for item in series
        ],
    }


class TierDashboardView(StaffViewMixin, View):
    permission_required = "dashboards.view_tier_dashboard"

    def get(self, request: HttpRequest) -> HttpResponse:
        params = read_params(request.GET, today=timezone.localdate())
        settings = current_settings()
        dashboard = tier_dashboard(
            params.period,
            params.filters,
            first_covered=params.first_covered,
            hhi_warning=settings.hhi_warning,
            top10_warning_percent=settings.top10_warning_percent,
        )
        downloads: dict[str, Callable[[], tables.Table]] = {
            "tiers": lambda: tables.tier_figures(dashboard),
            "trend": lambda: tables.tier_trend(dashboard),
            "concentration": lambda: tables.concentration(dashboard),
            "provinces": lambda: tables.provinces(dashboard),
        }
        if "download" in request.GET:
            name = request.GET["download"]
            if name not in downloads:
                raise Http404
            if params.errors:
                return refuse_bad_filters(params)
            return table_download(request, f"{name}-{params.period}", downloads[name]())
        figure = request.GET.get("figure", "net_sales")
        figures = {name: (label, kind) for name, label, kind, _segment in TIER_FIGURES}
        if figure not in figures:
            figure = "net_sales"
        trend = dashboard.trend(figure)
        labels = [str(period) for period in dashboard.periods]
        tier_labels = dict(Tier.choices)
        province_labels = dict(Province.choices)
        context = {
            **filter_context(request, params, settings),
            "dashboard": dashboard,
            "rows": list(dashboard.cells()),
            "tier_labels": Tier.labels,
            "figure": figure,
            "figure_label": figures[figure][0],
            "figure_kind": figures[figure][1],
            "figure_choices": [(name, label) for name, label, _k, _s in TIER_FIGURES],
            "trend": trend,
            "concentration": [(p, dashboard.concentration[p]) for p in dashboard.periods],
            "current_concentration": dashboard.concentration[dashboard.period],
            "province_rows": dashboard.province_rows(),
            "trend_chart": chart(
                labels,
                [
                    {"name": tier_labels[tier], "data": [point["values"][index] for point in trend]}
                    for index, tier in enumerate(Tier.values)
                ]
                + [{"name": _("Total"), "data": [point["total"] for point in trend]}],
            ),
            "concentration_chart": chart(
                labels,
                [
                    {
                        "name": _("Top-10 share (%)"),
                        "data": [
                            dashboard.concentration[p].top10_percent for p in dashboard.periods
                        ],
                    },
                ],
            ),
            "province_chart": chart(
                [str(province_labels.get(code, code)) for code, _net in dashboard.provinces[:15]][
                    ::-1
                ],
                [
                    {
                        "name": _("Net sales"),
                        "data": [net for _code, net in dashboard.provinces[:15]][::-1],
                    }
                ],
                kind="hbar",
            ),
        }
        return render(request, "dashboards/tiers.html", context)


class TeamDashboardView(StaffViewMixin, View):
    permission_required = "dashboards.view_team_dashboard"

    def get(self, request: HttpRequest) -> HttpResponse:
        params = read_params(request.GET, today=timezone.localdate())
        settings = current_settings()
        managers = team_dashboard(params.period, params.filters)
        people = get_user_model().objects.in_bulk(
            [row.owner_id for row in managers if row.owner_id]
        )
        rows = [
            TeamRow(
                str(people[row.owner_id]) if row.owner_id in people else _("No owner"),
                row,
                team_links(params, row),
            )
            for row in managers
        ]
        sort = request.GET.get("sort", "name")
        key = TEAM_SORTS.get(sort.lstrip("-"), TEAM_SORTS["name"])
        descending = sort.startswith("-")
        # Undefined figures ("—") go last whichever the direction.
        defined = sorted((r for r in rows if key(r) is not None), key=key, reverse=descending)
        rows = defined + [r for r in rows if key(r) is None]
        if "download" in request.GET:
            if request.GET["download"] != "team":
                raise Http404
            if params.errors:
                return refuse_bad_filters(params)
            table = tables.team([(row.name, row.row) for row in rows])
            return table_download(request, f"team-{params.period}", table)
        context = {
            **filter_context(request, params, settings),
            "rows": rows,
            "sort": sort,
            "sort_columns": [
                ("name", _("Manager")),
                ("partners", _("Partners")),
                ("timeliness", _("Maintenance timeliness")),
                ("review_completion", _("Review completion")),
                ("interactions", _("Interactions per partner")),
                ("net_sales", _("Net sales")),
                ("growth", _("Growth")),
            ],
            "tiers": Tier.choices,
            "chart": chart(
                [row.name for row in rows],
                [
                    {"name": label, "data": [row.row.tiers[tier] for row in rows]}
                    for tier, label in Tier.choices
                ],
                kind="stack",
            ),
        }
        return render(request, "dashboards/team.html", context)


class MyDayView(StaffViewMixin, View):
    permission_required = "partners.view_partner"

    def get(self, request: HttpRequest) -> HttpResponse:
        settings = current_settings()
        day = my_day(request.user, today=timezone.localdate(), low_score=settings.low_score)
        if "download" in request.GET:
            if request.GET["download"] == "kpis":
                return table_download(
                    request, f"my-kpis-{day['quarter']}", tables.my_kpis(day["kpis"])
                )
            if request.GET["download"] != "at-risk":
                raise Http404
            labels = {key: str(label) for key, label in REASONS.items()}
            return table_download(
                request, "partners-at-risk", tables.at_risk(day["at_risk"], labels)
            )
        kpis = day["kpis"]
        return render(
            request,
            "dashboards/my_day.html",
            {
                **day,
                "reasons": REASONS,
                "settings": settings,
                "kpi_chart": chart(
                    [_("Maintenance timeliness"), _("Review completion")],
                    [
                        {
                            "name": _("Me"),
                            "data": [kpis.mine.timeliness, kpis.mine.review_completion],
                        },
                        {
                            "name": kpis.team_label,
                            "data": [kpis.team.timeliness, kpis.team.review_completion],
                        },
                    ],
                    kind="bar",
                ),
            },
        )


class SettingsView(StaffViewMixin, View):
    permission_required = "dashboards.view_dashboardsettings"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(DashboardSettingsForm(instance=current_settings()))

    def post(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("dashboards.change_dashboardsettings"):
            return self.handle_no_permission()
        form = DashboardSettingsForm(request.POST, instance=current_settings())
        if form.is_valid():
            form.save()
            messages.success(request, _("Dashboard settings saved."))
            return redirect("dashboards:settings")
        return self.render(form, status=400)

    def render(self, form: DashboardSettingsForm, status: int = 200) -> HttpResponse:
        return render(
            self.request,
            "dashboards/settings.html",
            {
                "form": form,
                "can_edit": self.request.user.has_perm("dashboards.change_dashboardsettings"),
            },
            status=status,
        )
