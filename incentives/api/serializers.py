"""Serializers of the rebate API. Money goes out as a string with 2 decimals, rounded
half-up (`channelhub.lib.money`); what the server sets is read-only."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from channelhub.api.fields import Money
from partners.choices import Tier
from tiers.choices import RunStatus

from ..choices import REASONS, PayoutStatus, RunKind
from ..models import (
    RebateProgram,
    RebateResult,
    RebateRule,
    RebateRun,
    RebateStatement,
    SettlementLine,
)
from ..periods import RebatePeriod


class NamedChoiceField(serializers.ChoiceField):
    """A choice field whose OpenAPI enum has its own name. The schema names an enum after
    its field (`status`, `kind`); a choice set used by several of these serializers, and
    under the same field name by other apps, would otherwise get a made-up name."""

    def __init__(self, choices: Any, *, enum_name: str, **kwargs: Any) -> None:
        self.enum_name = enum_name
        super().__init__(choices, **kwargs)


class NamedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField

    def get_name(self) -> str:
        return str(self.target.enum_name)

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        return auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)


PERIOD_HELP = "A calendar period: 2025-Q1, 2025-03, 2025-H1 or 2025."


def parse_period(text: str) -> RebatePeriod:
    try:
        return RebatePeriod.parse(text)
    except DjangoValidationError as error:
        raise serializers.ValidationError(
            _("Give the period as 2025-Q1, 2025-03, 2025-H1 or 2025.")
        ) from error


# --- Programs and rules -------------------------------------------------------------------


class RebateProgramRuleSerializer(serializers.ModelSerializer):
    """A program's current version of one rule."""

    spec = serializers.DictField(read_only=True, help_text="The rule's fields (rebates.md §2).")

    class Meta:
        model = RebateRule
        fields = ["id", "code", "version", "spec", "position", "is_frozen"]
        read_only_fields = fields


class RebateProgramSerializer(serializers.ModelSerializer):
    """A rebate program with its current rules. Name, description and dates are written
    (an approved program's dates no longer change); the rest follows its workflow."""

    rules = serializers.SerializerMethodField(help_text="The current version of each rule.")

    class Meta:
        model = RebateProgram
        fields = ["id", "name", "description", "period_start", "period_end", "status", "rules",
                  "created_by", "updated_by", "updated_at", "approved_by",
                  "approved_at"]  # fmt: skip
        read_only_fields = ["id", "status", "rules", "created_by", "updated_by", "updated_at",
                            "approved_by", "approved_at"]  # fmt: skip

    @extend_schema_field(RebateProgramRuleSerializer(many=True))
    def get_rules(self, program: RebateProgram) -> Any:
        rules = getattr(program, "current_rules", None)  # prefetched by the viewset
        if rules is None:
            rules = program.rules.filter(is_current=True).order_by("position", "pk")
        return RebateProgramRuleSerializer(rules, many=True).data

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        start = data.get("period_start", getattr(self.instance, "period_start", None))
        end = data.get("period_end", getattr(self.instance, "period_end", None))
        if start is not None and end is not None and end < start:
            raise serializers.ValidationError(
                {"period_end": _("The program cannot end before it starts.")}
            )
        return data


class RebateRuleSerializer(serializers.ModelSerializer):
    """One version of a rule. POST {"program": id, "spec": {...}} adds a rule or changes it
    (by its `code`): in place while never approved, else as a new version."""

    program = serializers.PrimaryKeyRelatedField(queryset=RebateProgram.objects.all())
    spec = serializers.DictField(help_text="The rule's fields as rebates.md §2 names them.")

    class Meta:
        model = RebateRule
        fields = ["id", "program", "code", "version", "spec", "position", "is_current",
                  "is_frozen", "created_by", "created_at"]  # fmt: skip
        read_only_fields = [f for f in fields if f not in ("program", "spec")]


# --- Runs -----------------------------------------------------------------------------------


class RebateRunSerializer(serializers.ModelSerializer):
    """A run of a program for a period. POST {"program", "period", "kind", "as_of"} queues
    one; poll it for `status` and `percent_done`. The run's partner counts and total are
    for those who see every partner (null for the others)."""

    program = serializers.PrimaryKeyRelatedField(queryset=RebateProgram.objects.all())
    period = serializers.CharField(max_length=7, help_text=PERIOD_HELP)
    kind = NamedChoiceField(RunKind.choices, enum_name="RebateRunKindEnum")
    status = NamedChoiceField(RunStatus.choices, enum_name="RebateRunStatusEnum", read_only=True)
    as_of = serializers.DateField(
        required=False, allow_null=True,
        help_text="An accrual's day (default: today, or the period's end if it is over).",
    )  # fmt: skip
    rules = serializers.ListField(
        child=serializers.IntegerField(), read_only=True, help_text="The rule versions used."
    )
    total = serializers.IntegerField(read_only=True, allow_null=True, help_text="Partners.")
    done = serializers.IntegerField(read_only=True, allow_null=True, help_text="Computed.")
    amount = Money(allow_null=True, help_text="The run's total rebate.")
    percent_done = serializers.IntegerField(read_only=True)

    class Meta:
        model = RebateRun
        fields = ["id", "program", "period", "kind", "as_of", "status", "rules", "total", "done",
                  "percent_done", "amount", "error", "created_by", "created_at",
                  "finished_at"]  # fmt: skip
        read_only_fields = ["id", "status", "rules", "total", "done", "percent_done", "amount",
                            "error", "created_by", "created_at", "finished_at"]  # fmt: skip

    def validate_period(self, value: str) -> str:
        return parse_period(value).label

    def to_representation(self, instance: RebateRun) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if not getattr(getattr(request, "user", None), "sees_all_partners", False):
            # the whole run's figures say how big other portfolios are: progress only
            data.update(total=None, done=None, amount=None, error="")
        return data


# --- Statements, results, settlement --------------------------------------------------------


class RebateResultSerializer(serializers.ModelSerializer):
    """One rule's result for a partner and period, with the rule version that produced it
    and its explanation (rebates.md §3 step 11)."""

    rule_code = serializers.CharField(source="rule.code", read_only=True)
    rule_version = serializers.IntegerField(source="rule.version", read_only=True)
    amount = Money()
    reason_label = serializers.SerializerMethodField()
    explanation = serializers.DictField(read_only=True)

    class Meta:
        model = RebateResult
        fields = ["id", "statement", "rule", "rule_code", "rule_version", "amount", "reason",
                  "reason_label", "lines", "explanation"]  # fmt: skip
        read_only_fields = fields

    def get_reason_label(self, result: RebateResult) -> str:
        return str(REASONS.get(result.reason, result.reason))


class SettlementLineSerializer(serializers.ModelSerializer):
    """What approving a statement settled for one rule: a payout (> 0) or a claw-back (< 0)."""

    amount = Money()

    class Meta:
        model = SettlementLine
        fields = ["id", "statement", "program", "partner", "period", "rule_code", "rule", "kind",
                  "amount", "reason", "created_at"]  # fmt: skip
        read_only_fields = fields


class RebateStatementSerializer(serializers.ModelSerializer):
    """A partner's statement for a program and period, its results rule by rule, what its
    approval settled and whether that was paid."""

    partner_code = serializers.CharField(source="partner.code", read_only=True)
    partner_name = serializers.CharField(source="partner.legal_name", read_only=True)
    kind = NamedChoiceField(RunKind.choices, enum_name="RebateRunKindEnum", read_only=True)
    amount = Money()
    to_settle = Money(help_text="What approving it settles (payouts minus claw-backs).")
    payout_status = serializers.ChoiceField(choices=PayoutStatus.choices, read_only=True)
    paid_on = serializers.DateField(source="payout.paid_on", read_only=True, allow_null=True)
    reference = serializers.CharField(source="payout.reference", read_only=True, allow_null=True)
    results = RebateResultSerializer(many=True, read_only=True)
    settlement_lines = SettlementLineSerializer(many=True, read_only=True)

    class Meta:
        model = RebateStatement
        fields = ["id", "run", "program", "partner", "partner_code", "partner_name", "period",
                  "kind", "status", "amount", "to_settle", "approved_by", "approved_at",
                  "payout_status", "paid_on", "reference", "results",
                  "settlement_lines"]  # fmt: skip
        read_only_fields = fields


# --- Request and answer bodies of the actions -------------------------------------------------


class RebateSimulateSerializer(serializers.Serializer):
    period = serializers.CharField(max_length=7, help_text=PERIOD_HELP)
    compare_with = serializers.PrimaryKeyRelatedField(
        queryset=RebateProgram.objects.all(), required=False, allow_null=True,
        help_text="Another program to compare with (default: this one as last approved).",
    )  # fmt: skip

    def validate_period(self, value: str) -> RebatePeriod:
        return parse_period(value)


class RebateTierFigureSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.choices)
    total = Money()
    compared = Money()
    delta = Money()


class RebatePartnerFigureSerializer(serializers.Serializer):
    partner_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    tier = serializers.ChoiceField(choices=Tier.choices)
    total = Money()
    compared = Money()
    delta = Money()


class RebateWhatIfSerializer(serializers.Serializer):
    """What the program's current rules would cost for a past period (nothing is written),
    against the comparison's rules: in all, per tier, and the partners whose figure changes
    (largest changes first)."""

    period = serializers.CharField()
    total = Money()
    compared_total = Money()
    delta = Money()
    by_tier = RebateTierFigureSerializer(many=True)
    partners = RebatePartnerFigureSerializer(many=True)
    partners_changed = serializers.IntegerField(required=False)


class RebateBulkApproveSerializer(serializers.Serializer):
    """Either `ids`, or filters (at least one) choosing the draft statements to approve."""

    ids = serializers.ListField(
        child=serializers.IntegerField(), min_length=1, max_length=5000, required=False
    )
    program = serializers.IntegerField(required=False)
    period = serializers.CharField(max_length=7, required=False)
    run = serializers.IntegerField(required=False)
    partner = serializers.IntegerField(required=False)
    kind = NamedChoiceField(RunKind.choices, enum_name="RebateRunKindEnum", required=False)

    FILTERS = ("program", "period", "run", "partner", "kind")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if "ids" not in data and not any(name in data for name in self.FILTERS):
            raise serializers.ValidationError(
                _("Give the statements' ids, or at least one filter.")
            )
        return data


class RebateApprovedSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Statements approved now.")
    total = Money(help_text="What their approval settled.")


class RebatePayoutSerializer(serializers.Serializer):
    paid_on = serializers.DateField()
    reference = serializers.CharField(max_length=100)
