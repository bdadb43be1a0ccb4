from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from channelhub.api.permissions import NotFoundBeforeForbiddenMixin
from channelhub.lib.periods import Quarter
from channelhub.lib.requests import acting_user
from partners.api.views import HasPermission

from .. import services
from ..choices import RunStatus
from ..filtersets import ProposalFilterSet, ScoreFilterSet
from ..models import EvaluationRun, PartnerScore, TierProposal
from .serializers import (
    ApproveSerializer,
    DecideSerializer,
    ProposalSerializer,
    RejectSerializer,
    RunSerializer,
    ScoreSerializer,
)


class RunViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """Tier evaluation runs; POST {"period": "2026Q4"} starts one (a Celery task; poll the
    run for `scored` / `total` and `status`)."""

    serializer_class = RunSerializer
    queryset = EvaluationRun.objects.all().order_by("-created_at", "-pk")

    def get_permissions(self) -> list[Any]:
        if self.action == "create":  # starting a run is its own permission, not "add"
            return [IsAuthenticated(), HasPermission("tiers.run_evaluation")]
        return list(super().get_permissions())

    def perform_create(self, serializer: RunSerializer) -> None:  # type: ignore[override]
        quarter = Quarter.parse(serializer.validated_data["period"])
        if quarter is None:
            raise serializers.ValidationError({"period": "Give the quarter as 2026Q4."})
        try:
            serializer.instance = services.start_run(quarter, started_by=acting_user(self.request))
        except ValidationError as error:
            raise serializers.ValidationError({"period": error.messages}) from error


class ScoreViewSet(NotFoundBeforeForbiddenMixin, viewsets.ReadOnlyModelViewSet):
    """Scores of the partners the caller sees, with each criterion's inputs."""

    serializer_class = ScoreSerializer
    queryset = PartnerScore.objects.none()
    filterset_class = ScoreFilterSet

    def get_queryset(self) -> QuerySet[PartnerScore]:
        return (
            PartnerScore.objects.visible_to(self.request.user)
            .filter(run__status=RunStatus.DONE)
            .select_related("run")
            .order_by("-run_id", "partner_id")
        )


class ProposalViewSet(NotFoundBeforeForbiddenMixin, viewsets.ReadOnlyModelViewSet):
    """Tier proposals of the partners the caller sees; a sales VP approves (optionally with
    a comment and a later effective date) or rejects (with a comment) one, or decides many
    with `decide`."""

    serializer_class = ProposalSerializer
    queryset = TierProposal.objects.none()
    filterset_class = ProposalFilterSet

    def get_queryset(self) -> QuerySet[TierProposal]:
        return (
            TierProposal.objects.visible_to(self.request.user)
            .select_related("score", "score__run", "run")
            .order_by("-run_id", "partner_id")
        )

    def get_permissions(self) -> list[Any]:
        if self.action in ("approve", "reject", "decide"):  # a decision, not an "add"
            return [IsAuthenticated(), HasPermission("tiers.decide_tierproposal")]
        return list(super().get_permissions())

    def _decided(self, proposals: list[TierProposal], request: Request, data: dict[str, Any],
                 decision: str) -> list[TierProposal]:  # fmt: skip
        try:
            if decision == "approve":
                return services.approve_proposals(
                    proposals, approved_by=acting_user(request), comment=data.get("comment", ""),
                    effective_on=data.get("effective_on"),
                )  # fmt: skip
            return services.reject_proposals(
                proposals, rejected_by=acting_user(request), comment=data.get("comment", "")
            )
        except ValidationError as error:
            raise serializers.ValidationError(
                error.message_dict if hasattr(error, "error_dict") else error.messages
            ) from error

    @extend_schema(request=ApproveSerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        body = ApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decided = self._decided([self.get_object()], request, body.validated_data, "approve")
        return Response(self.get_serializer(decided[0]).data)

    @extend_schema(request=RejectSerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        body = RejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decided = self._decided([self.get_object()], request, body.validated_data, "reject")
        return Response(self.get_serializer(decided[0]).data)

    @extend_schema(request=DecideSerializer, responses=ProposalSerializer(many=True))
    @action(detail=False, methods=["post"])
    def decide(self, request: Request) -> Response:
        body = DecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        chosen = list(self.get_queryset().filter(pk__in=data["ids"]))
        if len(chosen) != len(set(data["ids"])):
            raise serializers.ValidationError({"ids": "Unknown proposal."})
        decided = self._decided(chosen, request, data, data["decision"])
        return Response(self.get_serializer(decided, many=True).data)
