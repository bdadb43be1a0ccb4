"""FilterSets of the rebate API: programs, rule versions, runs, statements, their results
and settlement lines. A partner filter offers only the partners the caller sees."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from partners.filtersets import visible_partner_choices
from tiers.choices import RunStatus

from .choices import ProgramStatus, RunKind, SettlementKind, StatementStatus
from .models import (
    RebateProgram,
    RebateResult,
    RebateRule,
    RebateRun,
    RebateStatement,
    SettlementLine,
)


class ProgramFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=ProgramStatus.choices, empty_label=_("All")
    )

    class Meta:
        model = RebateProgram
        fields = ["status"]


class RuleFilterSet(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(
        label=_("Program"), queryset=RebateProgram.objects.all(), empty_label=_("All")
    )
    code = django_filters.CharFilter(label=_("Code"))
    current = django_filters.BooleanFilter(label=_("Current version"), field_name="is_current")

    class Meta:
        model = RebateRule
        fields = ["program", "code", "current"]


class RunFilterSet(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(
        label=_("Program"), queryset=RebateProgram.objects.all(), empty_label=_("All")
    )
    period = django_filters.CharFilter(label=_("Period"))
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=RunKind.choices, empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=RunStatus.choices, empty_label=_("All")
    )

    class Meta:
        model = RebateRun
        fields = ["program", "period", "kind", "status"]


class StatementFilterSet(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(
        label=_("Program"), queryset=RebateProgram.objects.all(), empty_label=_("All")
    )
    period = django_filters.CharFilter(label=_("Period"))
    run = django_filters.ModelChoiceFilter(
        label=_("Run"), queryset=RebateRun.objects.all(), empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=StatementStatus.choices, empty_label=_("All")
    )
    partner = django_filters.ModelChoiceFilter(label=_("Partner"), queryset=visible_partner_choices)
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=RunKind.choices, empty_label=_("All")
    )

    class Meta:
        model = RebateStatement
        fields = ["program", "period", "run", "status", "partner", "kind"]


class ResultFilterSet(django_filters.FilterSet):
    # An id, not a choice list: a statement outside the caller's portfolio simply matches
    # nothing (the rows are already limited to visible statements).
    statement = django_filters.NumberFilter(label=_("Statement"))
    rule_code = django_filters.CharFilter(label=_("Rule"), field_name="rule__code")
    reason = django_filters.CharFilter(label=_("Reason"))

    class Meta:
        model = RebateResult
        fields = ["statement", "rule_code", "reason"]


class SettlementFilterSet(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(
        label=_("Program"), queryset=RebateProgram.objects.all(), empty_label=_("All")
    )
    period = django_filters.CharFilter(label=_("Period"))
    partner = django_filters.ModelChoiceFilter(label=_("Partner"), queryset=visible_partner_choices)
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=SettlementKind.choices, empty_label=_("All")
    )

    class Meta:
        model = SettlementLine
        fields = ["program", "period", "partner", "kind"]
