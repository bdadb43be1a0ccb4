from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channelhub.lib.periods import QUARTER_PATTERN
from partners.forms import DateInput

from .models import ScoringModel


class ScoringModelForm(forms.ModelForm):
    class Meta:
        model = ScoringModel
        fields = [
            "weight_net_sales", "weight_growth", "weight_target", "weight_coverage",
            "weight_depth", "weight_activity", "weight_reviews", "weight_satisfaction",
            "weight_service", "net_sales_full", "provinces_full", "years_full",
            "categories_full", "interactions_full", "core_min", "regular_min", "demote_after",
            "grace_quarters",
        ]  # fmt: skip


class RunForm(forms.Form):
    quarter = forms.RegexField(
        label=_("Quarter"), regex=QUARTER_PATTERN, help_text=_("For example 2026Q4.")
    )


class DecisionForm(forms.Form):
    """The bulk decision on the proposal list."""

    DECISIONS = [("approve", _("Approve")), ("reject", _("Reject"))]

    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS)
    comment = forms.CharField(label=_("Comment"), max_length=2000, required=False)
    effective_on = forms.DateField(label=_("Effective on"), required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["effective_on"].initial = timezone.localdate()
