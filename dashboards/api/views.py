"""The dashboards' API: the tier and team dashboards (a sales VP's) and a user's day, with
the pages' query parameters. Bad parameters answer 400 with what is wrong."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from channelhub.lib.requests import acting_user
from partners.api.views import HasPermission
from partners.choices import PartnerType, Province

from ..figures import team_dashboard, tier_dashboard
from ..myday import my_day
from ..params import DashboardParams, read_params
from ..services import current_settings
from .serializers import (
    MyDaySerializer,
    TeamDashboardSerializer,
    TierDashboardSerializer,
    my_day_data,
    team_dashboard_data,
    tier_dashboard_data,
)

FILTER_PARAMETERS = [
    OpenApiParameter(
        "period", str, description="2026Q3, 2026-09 or 2026; default: this quarter. From "
        "January of the first covered year to today.",
    ),
    OpenApiParameter("province", str, many=True, enum=Province.values),
    OpenApiParameter("partner_type", str, many=True, enum=PartnerType.values),
    OpenApiParameter("owner", int, description="The owner's user id."),
]  # fmt: skip


class DashboardView(APIView):
    """A signed-in user with `permission` (a user without it gets 403, as on every
    role-only endpoint: the dashboard is no partner's row)."""

    permission: str = ""

    def get_permissions(self) -> list[Any]:
        return [IsAuthenticated(), HasPermission(self.permission)]

    def read_params(self, request: Request) -> DashboardParams:
        params = read_params(request.query_params, today=timezone.localdate())
        if params.errors:  # a list per field, as a serializer's errors
            raise serializers.ValidationError(
                {name: [message] for name, message in params.errors.items()}
            )
        return params


class TierDashboardView(DashboardView):
    """Per tier and in all, the period's figures (each with the partner list behind it),
    their trend over up to 8 periods, the concentration of net sales and the provinces."""

    permission = "dashboards.view_tier_dashboard"

    @extend_schema(parameters=FILTER_PARAMETERS, responses=TierDashboardSerializer)
    def get(self, request: Request) -> Response:
        params = self.read_params(request)
        settings = current_settings()
        dashboard = tier_dashboard(
            params.period, params.filters, first_covered=params.first_covered,
            hhi_warning=settings.hhi_warning,
            top10_warning_percent=settings.top10_warning_percent,
        )  # fmt: skip
        return Response(TierDashboardSerializer(tier_dashboard_data(dashboard)).data)


class TeamDashboardView(DashboardView):
    """Per owner (channel manager), the period's partners per tier, maintenance timeliness,
    review completion, interactions per partner, net sales and growth; and everyone's."""

    permission = "dashboards.view_team_dashboard"

    @extend_schema(parameters=FILTER_PARAMETERS, responses=TeamDashboardSerializer)
    def get(self, request: Request) -> Response:
        params = self.read_params(request)
        rows = team_dashboard(params.period, params.filters)
        owners = [row.owner_id for row in rows if row.owner_id is not None]
        names = {user.pk: str(user) for user in User.objects.filter(pk__in=owners)}
        data = team_dashboard_data(params.period, params.filters, rows, names)
        return Response(TeamDashboardSerializer(data).data)


class MyDayView(DashboardView):
    """The signed-in user's day: tasks overdue and due this week, reviews coming up this
    quarter, partners at risk (of those the user sees) and the user's KPIs against their
    team's."""

    permission = "partners.view_partner"

    @extend_schema(responses=MyDaySerializer)
    def get(self, request: Request) -> Response:
        low_score = current_settings().low_score
        day = my_day(acting_user(request), today=timezone.localdate(), low_score=low_score)
        return Response(MyDaySerializer(my_day_data(day, low_score=low_score)).data)
