from __future__ import annotations

from typing import Any

import django_filters
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
from partners.filtersets import visible_partner_choices
from reminders.models import Team

from .. import services
from ..kpis import team_timeliness, timeliness_by_assignee
from ..models import Interaction, MaintenanceTask, TierPolicy
from .serializers import (
    InteractionSerializer,
    MaintenanceTaskSerializer,
    ReassignSerializer,
    TaskNoteSerializer,
    TierPolicySerializer,
    TimelinessSerializer,
)


class InteractionFilterSet(django_filters.FilterSet):
    """Choices follow the row rule (the browsable API lists them in its filter form)."""

    partner = django_filters.ModelChoiceFilter(queryset=visible_partner_choices)
    logged_by = django_filters.NumberFilter()
    occurred_from = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__gte")
    occurred_to = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__lte")
    staff = django_filters.NumberFilter(field_name="staff")

    class Meta:
        model = Interaction
        fields = ["partner", "kind", "channel", "logged_by"]


class InteractionViewSet(
    NotFoundBeforeForbiddenMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Interactions with the partners the caller sees. Logging one (POST) completes the
    maintenance tasks it satisfies and plans the next ones. Attachments are added in the
    browser."""

    serializer_class = InteractionSerializer
    queryset = Interaction.objects.none()
    filterset_class = InteractionFilterSet

    def get_queryset(self) -> QuerySet[Interaction]:
        return (
            Interaction.objects.visible_to(self.request.user)
            .select_related("logged_by")
            .prefetch_related("staff", "contacts", "attachments")
        )

    def perform_create(self, serializer: InteractionSerializer) -> None:  # type: ignore[override]
        data = dict(serializer.validated_data)
        serializer.instance = services.log_interaction(
            data.pop("partner"), logged_by=acting_user(self.request), **data
        )


class TaskFilterSet(django_filters.FilterSet):
    partner = django_filters.ModelChoiceFilter(queryset=visible_partner_choices)
    assignee = django_filters.NumberFilter()
    due_from = django_filters.DateFilter(field_name="due_on", lookup_expr="gte")
    due_to = django_filters.DateFilter(field_name="due_on", lookup_expr="lte")

    class Meta:
        model = MaintenanceTask
        fields = ["partner", "kind", "status", "assignee"]


class MaintenanceTaskViewSet(
    NotFoundBeforeForbiddenMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Maintenance tasks of the partners the caller sees. POST adds an ad-hoc task; planned
    contact and visit tasks come from the tier policy and are done by logging the
    interaction."""

    serializer_class = MaintenanceTaskSerializer
    queryset = MaintenanceTask.objects.none()
    filterset_class = TaskFilterSet

    def get_queryset(self) -> QuerySet[MaintenanceTask]:
        return MaintenanceTask.objects.visible_to(self.request.user)

    def get_permissions(self) -> list[Any]:
        from partners.api.views import HasPermission

        permissions = list(super().get_permissions())
        if self.action in ("complete", "cancel", "reassign"):
            permissions.append(HasPermission("maintenance.change_maintenancetask"))
        return permissions

    def perform_create(self, serializer: MaintenanceTaskSerializer) -> None:  # type: ignore[override]
        data = serializer.validated_data
        if not data.get("title"):
            raise serializers.ValidationError({"title": "Give the task a title."})
        serializer.instance = services.create_adhoc_task(
            data["partner"],
            created_by=acting_user(self.request),
            title=data["title"],
            due_on=data["due_on"],
            assignee=data["assignee"],
            note=data.get("note", ""),
        )

    def _respond(self, task: MaintenanceTask) -> Response:
        return Response(self.get_serializer(task).data)

    @extend_schema(request=TaskNoteSerializer, responses=MaintenanceTaskSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        body = TaskNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = services.complete_task(
            self.get_object(), completed_by=acting_user(request), note=body.validated_data["note"]
        )
        return self._respond(task)

    @extend_schema(request=TaskNoteSerializer, responses=MaintenanceTaskSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        body = TaskNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = services.cancel_task(
            self.get_object(), cancelled_by=acting_user(request), note=body.validated_data["note"]
        )
        return self._respond(task)

    @extend_schema(request=ReassignSerializer, responses=MaintenanceTaskSerializer)
    @action(detail=True, methods=["post"])
    def reassign(self, request: Request, pk: str | None = None) -> Response:
        body = ReassignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = services.reassign_task(
            self.get_object(),
            assignee=body.validated_data["assignee"],
            reassigned_by=acting_user(request),
        )
        return self._respond(task)


class TierPolicyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The tier policies; a sales VP changes them (the open tasks follow a new cadence)."""

    serializer_class = TierPolicySerializer
    queryset = TierPolicy.objects.order_by("id")

    def perform_update(self, serializer: TierPolicySerializer) -> None:  # type: ignore[override]
        serializer.instance = services.update_tier_policy(
            self.get_object(), changed_by=acting_user(self.request), **serializer.validated_data
        )


class TimelinessView(APIView):
    """Maintenance timeliness (product.md §4) per assignee, per team (`team` rows) and for
    everyone (`assignee` and `team` null), over the tasks due in a period (default: this
    quarter) of the partners the caller sees."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, description="YYYY-MM-DD; default the quarter's start"),
            OpenApiParameter("end", str, description="YYYY-MM-DD; default the quarter's end"),
        ],
        responses=TimelinessSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        if not request.user.has_perm("maintenance.view_maintenancetask"):
            self.permission_denied(request)
        quarter = Quarter.of(timezone.localdate())
        dates = serializers.DictField(child=serializers.DateField()).run_validation(
            {
                "start": request.query_params.get("start") or quarter.start.isoformat(),
                "end": request.query_params.get("end") or quarter.end.isoformat(),
            }
        )
        tasks = MaintenanceTask.objects.visible_to(request.user)
        team = timeliness_by_assignee(dates["start"], dates["end"], tasks)
        rows = [
            {"assignee": person, "team": None, "due": kpi.due, "on_time": kpi.on_time,
             "percent": kpi.percent}
            for person, kpi in [*team.people.items(), (None, team.total)]
        ]  # fmt: skip
        rows += [
            {"assignee": None, "team": team_id, "due": kpi.due, "on_time": kpi.on_time,
             "percent": kpi.percent}
            for team_id, kpi in team_timeliness(Team.member_ids(), team).items()
        ]  # fmt: skip
        return Response(TimelinessSerializer(rows, many=True).data)
