"""The rebate API: programs and their versioned rules, runs, and the statements (with their
results and settlement lines) of the partners the caller sees. Every write goes through
`incentives.services`; a service's ValidationError answers 400 with its message."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from channelhub.api.permissions import NotFoundBeforeForbiddenMixin
from channelhub.lib.requests import acting_user
from partners.api.views import HasPermission
from partners.models import Partner

from .. import services
from ..choices import StatementStatus
from ..filtersets import (
    ProgramFilterSet,
    ResultFilterSet,
    RuleFilterSet,
    RunFilterSet,
    SettlementFilterSet,
    StatementFilterSet,
)
from ..models import (
    RebateProgram,
    RebateResult,
    RebateRule,
    RebateRun,
    RebateStatement,
    SettlementLine,
)
from ..periods import RebatePeriod
from ..whatif import what_if
from .serializers import (
    RebateApprovedSerializer,
    RebateBulkApproveSerializer,
    RebatePayoutSerializer,
    RebateProgramSerializer,
    RebateResultSerializer,
    RebateRuleSerializer,
    RebateRunSerializer,
    RebateSimulateSerializer,
    RebateStatementSerializer,
    RebateWhatIfSerializer,
    SettlementLineSerializer,
)

VIEW_PROGRAMS = "incentives.view_rebateprogram"
CHANGE_PROGRAMS = "incentives.change_rebateprogram"
VIEW_STATEMENTS = "incentives.view_rebatestatement"


@contextmanager
def service_errors(field: str | None = None) -> Iterator[None]:
    """A service's ValidationError as a 400: its fields as they are (or nested under
    `field`), a message without a field under `non_field_errors`."""
    try:
        yield
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            detail: Any = error.message_dict
            if field is not None:
                detail = {field: detail}
        else:
            detail = {api_settings.NON_FIELD_ERRORS_KEY: error.messages}
        raise serializers.ValidationError(detail) from error


def _needs(permission: str) -> list[Any]:
    return [IsAuthenticated(), HasPermission(permission)]


class ProgramViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin, viewsets.GenericViewSet,
):  # fmt: skip
    """Rebate programs with their current rules. A sales VP drafts one, another approves it
    (maker-checker), and retires it when it ends; `simulate` shows what its rules would
    cost for a past period, writing nothing. Programs are never deleted."""

    serializer_class = RebateProgramSerializer
    filterset_class = ProgramFilterSet
    queryset = RebateProgram.objects.none()

    ACTION_PERMISSIONS = {
        "approve": "incentives.approve_rebateprogram",
        "retire": CHANGE_PROGRAMS,
        "simulate": CHANGE_PROGRAMS,  # company-wide figures, partner by partner
    }

    def get_queryset(self) -> QuerySet[RebateProgram]:
        current = RebateRule.objects.filter(is_current=True).order_by("position", "pk")
        return RebateProgram.objects.prefetch_related(
            Prefetch("rules", queryset=current, to_attr="current_rules")
        ).order_by("-period_start", "name", "pk")

    def get_permissions(self) -> list[Any]:
        if self.action in self.ACTION_PERMISSIONS:
            return _needs(self.ACTION_PERMISSIONS[self.action])
        return list(super().get_permissions())

    def _fresh(self, program: RebateProgram) -> RebateProgram:
        return self.get_queryset().get(pk=program.pk)

    def perform_create(self, serializer: RebateProgramSerializer) -> None:  # type: ignore[override]
        with service_errors():
            program = services.create_program(
                created_by=acting_user(self.request), **serializer.validated_data
            )
        serializer.instance = self._fresh(program)

    def perform_update(self, serializer: RebateProgramSerializer) -> None:  # type: ignore[override]
        assert serializer.instance is not None
        with service_errors():
            program = services.update_program(
                serializer.instance, changed_by=acting_user(self.request),
                **serializer.validated_data,
            )  # fmt: skip
        serializer.instance = self._fresh(program)

    @extend_schema(request=None, responses=RebateProgramSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve a draft program: a sales VP other than its last editor; its current rule
        versions are frozen (an edit afterwards makes a new version)."""
        with service_errors():
            program = services.approve_program(self.get_object(), approved_by=acting_user(request))
        return Response(self.get_serializer(self._fresh(program)).data)

    @extend_schema(request=None, responses=RebateProgramSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request: Request, pk: str | None = None) -> Response:
        with service_errors():
            program = services.retire_program(self.get_object(), retired_by=acting_user(request))
        return Response(self.get_serializer(self._fresh(program)).data)

    @extend_schema(request=RebateSimulateSerializer, responses=RebateWhatIfSerializer)
    @action(detail=True, methods=["post"])
    def simulate(self, request: Request, pk: str | None = None) -> Response:
        """What if: the program's current rules on a past period's real lines, compared
        with another program's rules or, by default, this program as last approved. Nothing
        is written."""
        program = self.get_object()
        body = RebateSimulateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        with service_errors():
            figures = what_if(program, data["period"], data.get("compare_with"))
        return Response(RebateWhatIfSerializer(figures).data)


class RuleViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """Every version of every rule (`current=true`: only the current ones). POST adds a rule
    or changes one by its code; a rule that breaks rebates.md §2 answers 400 naming the field
    under `spec`. Changing an approved program's rule sends it back to draft."""

    serializer_class = RebateRuleSerializer
    filterset_class = RuleFilterSet
    queryset = RebateRule.objects.none()

    def get_queryset(self) -> QuerySet[RebateRule]:
        return RebateRule.objects.order_by("program_id", "position", "code", "-version")

    def get_permissions(self) -> list[Any]:
        if self.request.method in SAFE_METHODS:
            return _needs(VIEW_PROGRAMS)
        return _needs(CHANGE_PROGRAMS)

    def perform_create(self, serializer: RebateRuleSerializer) -> None:  # type: ignore[override]
        data = serializer.validated_data
        with service_errors(field="spec"):
            serializer.instance = services.save_rule(
                data["program"], data["spec"], saved_by=acting_user(self.request)
            )


class RunViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """Runs of approved programs: POST {"program", "period", "kind": "final" | "accrual",
    "as_of"} queues one (a Celery task); poll it for `status` and `percent_done`."""

    serializer_class = RebateRunSerializer
    filterset_class = RunFilterSet
    queryset = RebateRun.objects.none()

    def get_queryset(self) -> QuerySet[RebateRun]:
        return RebateRun.objects.order_by("-created_at", "-pk")

    def get_permissions(self) -> list[Any]:
        if self.action == "create":  # starting a run is its own permission, not "add"
            return _needs("incentives.run_rebates")
        return list(super().get_permissions())

    def perform_create(self, serializer: RebateRunSerializer) -> None:  # type: ignore[override]
        data = serializer.validated_data
        with service_errors():
            serializer.instance = services.start_run(
                data["program"], RebatePeriod.parse(data["period"]), kind=data["kind"],
                started_by=acting_user(self.request), as_of=data.get("as_of"),
            )  # fmt: skip


class StatementViewSet(NotFoundBeforeForbiddenMixin, viewsets.ReadOnlyModelViewSet):
    """Statements of the partners the caller sees, with their results, settlement lines and
    payout. A sales VP approves one (or many with `POST approve/`), which settles it, and
    records its payout."""

    serializer_class = RebateStatementSerializer
    filterset_class = StatementFilterSet
    queryset = RebateStatement.objects.none()

    ACTION_PERMISSIONS = {
        "approve": "incentives.approve_rebatestatement",
        "approve_many": "incentives.approve_rebatestatement",
        "payout": "incentives.add_payout",
    }
    ACTIONS_WITHOUT_BODY = frozenset({"approve", "payout"})  # answer with a fresh read

    def get_queryset(self) -> QuerySet[RebateStatement]:
        visible = RebateStatement.objects.visible_to(self.request.user)
        if self.action in self.ACTIONS_WITHOUT_BODY:
            return visible
        return self._with_body(visible)

    @staticmethod
    def _with_body(statements: QuerySet[RebateStatement]) -> QuerySet[RebateStatement]:
        return (
            statements.select_related("partner", "payout")
            .prefetch_related(
                Prefetch("results", RebateResult.objects.select_related("rule").order_by("pk")),
                Prefetch("settlement_lines", SettlementLine.objects.order_by("pk")),
            )
            .order_by("program_id", "period", "partner_id", "pk")
        )

    def get_permissions(self) -> list[Any]:
        if self.action in self.ACTION_PERMISSIONS:
            return _needs(self.ACTION_PERMISSIONS[self.action])
        return list(super().get_permissions())

    def _answer(self, statement: RebateStatement) -> Response:
        fresh = self._with_body(RebateStatement.objects.filter(pk=statement.pk)).get()
        return Response(self.get_serializer(fresh).data)

    @extend_schema(request=None, responses=RebateStatementSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve and settle one statement (rebates.md §4)."""
        statement = self.get_object()
        with service_errors():
            approved = services.approve_statements([statement], approved_by=acting_user(request))
        if not approved:
            raise serializers.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: [_("This statement is already approved.")]}
            )
        return self._answer(statement)

    @extend_schema(
        request=RebateBulkApproveSerializer, responses=RebateApprovedSerializer,
        operation_id="rebate_statements_approve_many",
    )  # fmt: skip
    @action(detail=False, methods=["post"], url_path="approve", url_name="approve-many")
    def approve_many(self, request: Request) -> Response:
        """Approve and settle many draft statements: by `ids`, or those matching the filters.
        Answers how many were approved now and what they settled in all."""
        body = RebateBulkApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        drafts = (
            RebateStatement.objects.visible_to(request.user)
            .filter(status=StatementStatus.DRAFT)
            .only("pk")
            .order_by()
        )
        if "ids" in data:
            wanted = set(data["ids"])
            visible = RebateStatement.objects.visible_to(request.user).filter(pk__in=wanted)
            if visible.count() != len(wanted):
                raise serializers.ValidationError({"ids": [_("Unknown statement.")]})
            chosen = list(drafts.filter(pk__in=wanted))
        else:
            filters = {name: data[name] for name in body.FILTERS if name in data}
            found = StatementFilterSet(filters, queryset=drafts, request=request)
            if not found.is_valid():
                raise serializers.ValidationError(found.errors)
            chosen = list(found.qs)
        with service_errors():
            approved = services.approve_statements(chosen, approved_by=acting_user(request))
        total = sum((statement.to_settle for statement in approved), Decimal(0))
        return Response(RebateApprovedSerializer({"count": len(approved), "total": total}).data)

    @extend_schema(request=RebatePayoutSerializer, responses=RebateStatementSerializer)
    @action(detail=True, methods=["post"])
    def payout(self, request: Request, pk: str | None = None) -> Response:
        """Record that an approved statement's settlement was paid (once)."""
        statement = self.get_object()
        body = RebatePayoutSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            services.record_payout(
                statement, paid_on=body.validated_data["paid_on"],
                reference=body.validated_data["reference"], recorded_by=acting_user(request),
            )  # fmt: skip
        return self._answer(statement)


class ResultViewSet(NotFoundBeforeForbiddenMixin, viewsets.ReadOnlyModelViewSet):
    """Rule-by-rule results of the statements the caller sees, with their explanation."""

    serializer_class = RebateResultSerializer
    filterset_class = ResultFilterSet
    queryset = RebateResult.objects.none()

    def get_queryset(self) -> QuerySet[RebateResult]:
        statements = RebateStatement.objects.visible_to(self.request.user)
        return (
            RebateResult.objects.filter(statement__in=statements)
            .select_related("rule")
            .order_by("-statement_id", "pk")
        )

    def get_permissions(self) -> list[Any]:
        return _needs(VIEW_STATEMENTS)


class SettlementViewSet(NotFoundBeforeForbiddenMixin, viewsets.ReadOnlyModelViewSet):
    """Settlement lines (payouts and claw-backs) of the partners the caller sees."""

    serializer_class = SettlementLineSerializer
    filterset_class = SettlementFilterSet
    queryset = SettlementLine.objects.none()

    def get_queryset(self) -> QuerySet[SettlementLine]:
        partners = Partner.objects.visible_to(self.request.user)
        return SettlementLine.objects.filter(partner__in=partners).order_by("-pk")

    def get_permissions(self) -> list[Any]:
        return _needs(VIEW_STATEMENTS)
