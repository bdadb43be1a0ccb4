from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channelhub.api.permissions import NotFoundBeforeForbiddenMixin

from ..choices import ResultGrouping
from ..filtersets import SurveyFilterSet, SurveyResponseFilterSet
from ..forms import ResultsForm
from ..models import Survey, SurveyResponse
from ..results import ResultRow
from ..views import results_for
from .serializers import ResultRowSerializer, SurveyResponseSerializer, SurveySerializer


class SurveyViewSet(NotFoundBeforeForbiddenMixin, viewsets.ReadOnlyModelViewSet):
    """The monthly surveys of the partners the caller sees, with their response."""

    serializer_class = SurveySerializer
    queryset = Survey.objects.none()
    filterset_class = SurveyFilterSet

    def get_queryset(self) -> QuerySet[Survey]:
        return (
            Survey.objects.visible_to(self.request.user)
            .select_related("response")
            .order_by("-month", "pk")
        )


class SurveyResponseViewSet(NotFoundBeforeForbiddenMixin, viewsets.ReadOnlyModelViewSet):
    """Answers to the surveys of the partners the caller sees, newest first."""

    serializer_class = SurveyResponseSerializer
    queryset = SurveyResponse.objects.none()
    filterset_class = SurveyResponseFilterSet

    def get_queryset(self) -> QuerySet[SurveyResponse]:
        return (
            SurveyResponse.objects.visible_to(self.request.user)
            .select_related("survey")
            .order_by("-submitted_at", "-pk")
        )


class SurveyResultsView(APIView):
    """CSAT, NPS and response rate (product.md §4) over the partners the caller sees, grouped
    by month, tier, region or manager; the last row (group null, label "") is the total."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("first", str, description="First month, 2026-06 (default: 5 "
                             "months before the last)"),
            OpenApiParameter("last", str, description="Last month, 2026-11 (default: this one)"),
            OpenApiParameter("group_by", str, enum=ResultGrouping.values),
            OpenApiParameter("tier", str),
            OpenApiParameter("province", str),
            OpenApiParameter("manager", int),
        ],
        responses=ResultRowSerializer(many=True),
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        if not request.user.has_perm("surveys.view_surveyresponse"):
            self.permission_denied(request)
        form = ResultsForm(request.query_params, request=request)
        if not form.is_valid():
            raise serializers.ValidationError(form.errors.get_json_data())
        _responses, rows, total = results_for(request.user, form)
        return Response(ResultRowSerializer([_row(row) for row in [*rows, total]], many=True).data)


def _row(row: ResultRow) -> dict[str, Any]:
    group = row.key.strftime("%Y-%m") if hasattr(row.key, "strftime") else row.key
    return {
        "group": None if group is None else str(group),
        "label": row.label,
        "responses": row.responses,
        "csat": row.csat,
        "nps": row.nps,
        "sent": row.sent,
        "answered": row.answered,
        "response_rate": row.response_rate,
        "low_scores": row.low,
    }
