"""The API's filters of surveys and responses (partner choices follow the row rule)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from partners.filtersets import visible_partner_choices

from .models import Survey, SurveyResponse


class SurveyFilterSet(django_filters.FilterSet):
    partner = django_filters.ModelChoiceFilter(label=_("Partner"), queryset=visible_partner_choices)
    month = django_filters.DateFilter(label=_("Month"), help_text=_("Its first day: 2026-11-01."))

    class Meta:
        model = Survey
        fields = ["partner", "month", "status", "tier"]


class SurveyResponseFilterSet(django_filters.FilterSet):
    partner = django_filters.ModelChoiceFilter(label=_("Partner"), queryset=visible_partner_choices)
    submitted_after = django_filters.DateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    submitted_before = django_filters.DateTimeFilter(field_name="submitted_at", lookup_expr="lt")

    class Meta:
        model = SurveyResponse
        fields = ["partner", "needs_follow_up"]
