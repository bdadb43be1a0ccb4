from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DashboardSettings


class DashboardSettingsForm(forms.ModelForm):
    class Meta:
        model = DashboardSettings
        fields = ["hhi_warning", "top10_warning_percent", "low_score"]

    def clean_hhi_warning(self) -> int:
        value = self.cleaned_data["hhi_warning"]
        if value > 10000:
            raise forms.ValidationError(_("The HHI is at most 10 000."))
        return value

    def clean_top10_warning_percent(self) -> int:
        value = self.cleaned_data["top10_warning_percent"]
        if value > 100:
            raise forms.ValidationError(_("A share is at most 100 %."))
        return value

    def clean_low_score(self) -> Decimal:
        value = self.cleaned_data["low_score"]
        if not 1 <= value <= 5:
            raise forms.ValidationError(_("Scorecards run from 1 to 5."))
        return value
