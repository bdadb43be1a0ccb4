"""One FilterSet for the proposal list page and the API; one for scores."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from partners.choices import Province
from partners.filtersets import manager_choices, visible_partner_choices

from .choices import Direction, ProposalStatus
from .models import EvaluationRun, PartnerScore, TierProposal


class ProposalFilterSet(django_filters.FilterSet):
    run = django_filters.ModelChoiceFilter(
        label=_("Run"), queryset=EvaluationRun.objects.all(), empty_label=_("Latest")
    )
    direction = django_filters.ChoiceFilter(
        label=_("Direction"), choices=Direction.choices, empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=ProposalStatus.choices, empty_label=_("All")
    )
    region = django_filters.ChoiceFilter(
        label=_("Region"), field_name="partner__province", choices=Province.choices,
        empty_label=_("All"),
    )  # fmt: skip
    manager = django_filters.ModelChoiceFilter(
        label=_("Manager"), field_name="partner__owner", queryset=manager_choices,
        empty_label=_("All"),
    )  # fmt: skip
    partner = django_filters.ModelChoiceFilter(label=_("Partner"), queryset=visible_partner_choices)

    class Meta:
        model = TierProposal
        fields = ["run", "direction", "status", "region", "manager", "partner"]


class ScoreFilterSet(django_filters.FilterSet):
    run = django_filters.ModelChoiceFilter(label=_("Run"), queryset=EvaluationRun.objects.all())
    partner = django_filters.ModelChoiceFilter(label=_("Partner"), queryset=visible_partner_choices)

    class Meta:
        model = PartnerScore
        fields = ["run", "partner", "earned_tier", "current_tier"]
