from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channelhub.api.permissions import NotFoundBeforeForbiddenMixin
from channelhub.lib.periods import Quarter
from channelhub.lib.requests import acting_user
from partners.api.views import HasPermission
from reminders.models import Team

from .. import services
from ..filtersets import ReviewActionFilterSet, ReviewFilterSet
from ..kpis import review_completion
from ..models import BusinessReview, ReviewAction
from .serializers import (
    CancelSerializer,
    CompletionSerializer,
    HoldSerializer,
    NoteSerializer,
    RecordSerializer,
    ReviewActionSerializer,
    ReviewSerializer,
    ScheduleSerializer,
)


def _quarter(text: str) -> Quarter:
    quarter = Quarter.parse(text)
    if quarter is None:
        raise serializers.ValidationError({"period": "Give the quarter as 2026Q4."})
    return quarter


class ReviewViewSet(
    NotFoundBeforeForbiddenMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Business reviews of the partners the caller sees. POST plans one partner's review for
    a quarter; the steps are actions: schedule, record (notes, partner's requests,
    scorecard), hold, close (needs the complete scorecard; freezes the figures), cancel."""

    serializer_class = ReviewSerializer
    queryset = BusinessReview.objects.none()
    filterset_class = ReviewFilterSet

    def get_queryset(self) -> QuerySet[BusinessReview]:
        return (
            BusinessReview.objects.visible_to(self.request.user)
            .prefetch_related("staff", "contacts")
            .order_by("-year", "-quarter", "pk")
        )

    def get_permissions(self) -> list[Any]:
        permissions = list(super().get_permissions())
        if self.action in ("schedule", "record", "hold", "close", "cancel"):
            permissions.append(HasPermission("reviews.change_businessreview"))
        return permissions

    def perform_create(self, serializer: ReviewSerializer) -> None:  # type: ignore[override]
        data = serializer.validated_data
        serializer.instance = services.plan_review(
            data["partner"], quarter=_quarter(data["period"]), planned_by=acting_user(self.request)
        )

    def _respond(self, review: BusinessReview) -> Response:
        return Response(self.get_serializer(review).data)

    @extend_schema(request=ScheduleSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def schedule(self, request: Request, pk: str | None = None) -> Response:
        body = ScheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = services.schedule_review(
            self.get_object(), scheduled_by=acting_user(request), **body.validated_data
        )
        return self._respond(review)

    @extend_schema(request=RecordSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def record(self, request: Request, pk: str | None = None) -> Response:
        body = RecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = services.record_review(
            self.get_object(), recorded_by=acting_user(request), **body.validated_data
        )
        return self._respond(review)

    @extend_schema(request=HoldSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def hold(self, request: Request, pk: str | None = None) -> Response:
        body = HoldSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = services.hold_review(
            self.get_object(), held_by=acting_user(request), held_on=body.validated_data["held_on"]
        )
        return self._respond(review)

    @extend_schema(request=None, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        return self._respond(
            services.close_review(self.get_object(), closed_by=acting_user(request))
        )

    @extend_schema(request=CancelSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        body = CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = services.cancel_review(
            self.get_object(),
            cancelled_by=acting_user(request),
            reason=body.validated_data["reason"],
        )
        return self._respond(review)


class ReviewActionViewSet(
    NotFoundBeforeForbiddenMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Action items of the reviews of the partners the caller sees. POST adds one to a held
    review; complete and cancel close it."""

    serializer_class = ReviewActionSerializer
    queryset = ReviewAction.objects.none()
    filterset_class = ReviewActionFilterSet

    def get_queryset(self) -> QuerySet[ReviewAction]:
        return ReviewAction.objects.visible_to(self.request.user).order_by("due_on", "pk")

    def get_permissions(self) -> list[Any]:
        permissions = list(super().get_permissions())
        if self.action in ("complete", "cancel"):
            permissions.append(HasPermission("reviews.change_reviewaction"))
        return permissions

    def perform_create(self, serializer: ReviewActionSerializer) -> None:  # type: ignore[override]
        data = serializer.validated_data
        serializer.instance = services.add_action(
            data["review"],
            created_by=acting_user(self.request),
            title=data["title"],
            due_on=data["due_on"],
            owner_user=data.get("owner_user"),
            owner_contact=data.get("owner_contact"),
        )

    @extend_schema(request=NoteSerializer, responses=ReviewActionSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.complete_action(
            self.get_object(), completed_by=acting_user(request), note=body.validated_data["note"]
        )
        return Response(self.get_serializer(item).data)

    @extend_schema(request=NoteSerializer, responses=ReviewActionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.cancel_action(
            self.get_object(), cancelled_by=acting_user(request), note=body.validated_data["note"]
        )
        return Response(self.get_serializer(item).data)


class CompletionView(APIView):
    """Review completion of a quarter (default: this one): per manager, per team, per tier
    and for everyone (all three null), over the reviews of the partners the caller sees."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("period", str, description="2026Q4; default this quarter")],
        responses=CompletionSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        if not request.user.has_perm("reviews.view_businessreview"):
            self.permission_denied(request)
        text = request.query_params.get("period") or str(Quarter.of(timezone.localdate()))
        completion = review_completion(
            _quarter(text), BusinessReview.objects.visible_to(request.user)
        )

        def row(kpi: Any, **key: Any) -> dict[str, Any]:
            return {"manager": None, "team": None, "tier": None, **key,
                    "due": kpi.due, "on_time": kpi.on_time, "percent": kpi.percent}  # fmt: skip

        rows = [row(kpi, manager=pk) for pk, kpi in completion.managers.items()]
        rows += [row(kpi, team=pk) for pk, kpi in completion.teams(Team.member_ids()).items()]
        rows += [row(kpi, tier=tier) for tier, kpi in completion.tiers.items()]
        rows.append(row(completion.total))
        return Response(CompletionSerializer(rows, many=True).data)
