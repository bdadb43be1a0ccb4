"""Forms of the rebate pages. The rule form edits a rule's JSON fields (rebates.md §2) with
tier tables; `incentives.rules.parse_rule` checks the result and its errors land under the
field they name."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from partners.choices import Tier
from partners.forms import DateInput
from reviews.views import add_service_error
from sales.models import Category

from .choices import RunKind
from .models import RebateProgram
from .periods import RebatePeriod
from .rules import KINDS, PERIOD_TYPES, parse_rule

KIND_LABELS = {
    "flat": _("Flat rate"),
    "per_unit": _("Per unit"),
    "volume_tiered": _("Volume tiers"),
    "growth": _("Growth"),
    "target": _("Target achievement"),
}
PERIOD_TYPE_LABELS = {
    "month": _("Month"), "quarter": _("Quarter"), "half_year": _("Half year"), "year": _("Year"),
}  # fmt: skip
# The tier tables: (field, first column's label, second column's label)
TABLES = {
    "tiers": (_("From (threshold)"), _("Rate %")),
    "growth_tiers": (_("Growth at least %"), _("Rate %")),
    "achievement_tiers": (_("Achievement at least %"), _("Rate %")),
}
DECIMALS = ("rate_percent", "unit_amount", "min_measure", "cap_amount")
BLANK_ROWS = 2  # empty rows under a tier table (the "add a row" button adds more)


class ProgramForm(forms.ModelForm):
    class Meta:
        model = RebateProgram
        fields = ["name", "description", "period_start", "period_end"]
        widgets = {"period_start": DateInput(), "period_end": DateInput()}


class PeriodField(forms.CharField):
    def to_python(self, value: Any) -> str:
        text = (super().to_python(value) or "").strip()
        if text:
            try:
                RebatePeriod.parse(text)
            except ValidationError as error:
                raise ValidationError(_("Give the period as 2025-Q1, 2025-03, 2025-H1 or 2025.")
                                      ) from error  # fmt: skip
        return text


class RunForm(forms.Form):
    period = PeriodField(label=_("Period"), help_text=_("2025-Q1, 2025-03, 2025-H1 or 2025."))
    kind = forms.ChoiceField(label=_("Kind"), choices=RunKind.choices, initial=RunKind.FINAL)
    as_of = forms.DateField(
        label=_("As of"), required=False, widget=DateInput(),
        help_text=_("Accrual only: lines up to this day (default today)."),
    )  # fmt: skip


class PayoutForm(forms.Form):
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput(), initial=date.today)
    reference = forms.CharField(label=_("Payment reference"), max_length=100)


class WhatIfForm(forms.Form):
    period = PeriodField(label=_("Past period"))
    compare_with = forms.ModelChoiceField(
        label=_("Compare with"), queryset=RebateProgram.objects.none(), required=False,
        empty_label=_("This program as last approved"),
    )  # fmt: skip

    def __init__(self, *args: Any, program: RebateProgram, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["compare_with"].queryset = RebateProgram.objects.exclude(pk=program.pk)  # type: ignore[attr-defined]


def _category_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} · {name}") for code, name in
            Category.objects.order_by("path").values_list("code", "name")]  # fmt: skip


class RuleForm(forms.Form):
    """Every field of a rule; the tier tables come as parallel lists of inputs
    (`tiers-from` / `tiers-rate`, …) and are checked with the rest by `parse_rule`."""

    code = forms.CharField(label=_("Code"), max_length=50)
    kind = forms.ChoiceField(label=_("Kind"), choices=[(k, KIND_LABELS[k]) for k in KINDS])
    period_type = forms.ChoiceField(
        label=_("Period"), choices=[(p, PERIOD_TYPE_LABELS[p]) for p in PERIOD_TYPES],
        initial="quarter",
    )  # fmt: skip
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput())
    valid_to = forms.DateField(label=_("Valid to"), widget=DateInput())
    measure = forms.ChoiceField(
        label=_("Thresholds compare"), choices=[("amount", _("Net amount")),
                                                ("quantity", _("Net quantity"))],
    )  # fmt: skip
    rate_percent = forms.CharField(label=_("Rate %"), required=False)
    unit_amount = forms.CharField(label=_("CNY per unit"), required=False)
    tier_mode = forms.ChoiceField(
        label=_("Tier mode"),
        choices=[("retroactive", _("Retroactive (全额累进): the rate reached on the whole base")),
                 ("incremental", _("Incremental (超额累进): each band at its own rate"))],
    )  # fmt: skip
    min_measure = forms.CharField(label=_("Minimum (gate)"), required=False)
    cap_amount = forms.CharField(label=_("Cap per partner and period"), required=False)
    categories = forms.MultipleChoiceField(label=_("Only these categories"), required=False)
    exclude_categories = forms.MultipleChoiceField(label=_("Except these categories"),
                                                   required=False)  # fmt: skip
    include_descendants = forms.BooleanField(
        label=_("Include sub-categories"), required=False, initial=True
    )
    eligible_tiers = forms.MultipleChoiceField(
        label=_("Eligible tiers (none ticked: all)"), choices=Tier.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    use_tier_multiplier = forms.BooleanField(
        label=_("Apply the tier multiplier"), required=False, initial=True
    )
    prorate_new_partners = forms.BooleanField(
        label=_("Pro-rate thresholds for partners who joined during the window"),
        required=False, initial=True,
    )  # fmt: skip
    growth_payout_base = forms.ChoiceField(
        label=_("Growth pays on"),
        choices=[("current_total", _("The whole current base")),
                 ("increment", _("The increment over last year"))],
    )  # fmt: skip
    zero_base_policy = forms.ChoiceField(
        label=_("Without sales last year"),
        choices=[("no_rebate", _("No rebate")), ("full_growth", _("Treat as 100 percent growth"))],
    )  # fmt: skip
    exclusive_group = forms.CharField(label=_("Exclusive group"), max_length=50, required=False)
    priority = forms.IntegerField(label=_("Priority in the group"), initial=0)
    # carriers of the tier tables' errors (the rows themselves are read from the POST)
    tiers = forms.CharField(required=False, widget=forms.HiddenInput)
    growth_tiers = forms.CharField(required=False, widget=forms.HiddenInput)
    achievement_tiers = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, spec: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.spec_before = spec
        if spec is not None:
            kwargs["initial"] = {
                **{name: value for name, value in spec.items() if name not in TABLES},
                "include_descendants": spec.get("include_descendants", True),
                "use_tier_multiplier": spec.get("use_tier_multiplier", True),
                "prorate_new_partners": spec.get("prorate_new_partners", True),
            }
        super().__init__(*args, **kwargs)
        choices = _category_choices()
        self.fields["categories"].choices = choices  # type: ignore[attr-defined]
        self.fields["exclude_categories"].choices = choices  # type: ignore[attr-defined]
        if spec is not None:
            self.fields["code"].disabled = True  # a rule's versions share its code

    def table_rows(self, name: str) -> list[tuple[str, str]]:
        """The rows the table shows: posted ones, else the rule's, and blank rows."""
        if self.is_bound:
            data: Any = self.data  # a QueryDict: the table's inputs repeat
            rows = list(zip(data.getlist(f"{name}-from"), data.getlist(f"{name}-rate"),
                            strict=False))  # fmt: skip
        else:
            rows = [(str(a), str(b)) for a, b in (self.spec_before or {}).get(name) or []]
        rows = [(a, b) for a, b in rows if str(a).strip() or str(b).strip()]
        return rows + [("", "")] * BLANK_ROWS

    def tables(self) -> list[dict[str, Any]]:
        return [
            {"name": name, "first": first, "second": second, "rows": self.table_rows(name),
             "errors": self.errors.get(name, [])}
            for name, (first, second) in TABLES.items()
        ]  # fmt: skip

    def spec(self) -> dict[str, Any]:
        """The rule's JSON fields from the cleaned form (what `parse_rule` reads)."""
        data = self.cleaned_data
        spec: dict[str, Any] = {
            "code": data["code"].strip(), "kind": data["kind"],
            "period_type": data["period_type"],
            "valid_from": data["valid_from"].isoformat(), "valid_to": data["valid_to"].isoformat(),
            "measure": data["measure"], "include_descendants": data["include_descendants"],
            "use_tier_multiplier": data["use_tier_multiplier"],
            "prorate_new_partners": data["prorate_new_partners"], "priority": data["priority"],
        }  # fmt: skip
        for name in DECIMALS:
            if data[name].strip():
                spec[name] = data[name].strip()
        for name in ("categories", "exclude_categories", "eligible_tiers"):
            if data[name]:
                spec[name] = list(data[name])
        if data["exclusive_group"].strip():
            spec["exclusive_group"] = data["exclusive_group"].strip()
        kind = data["kind"]
        if kind == "volume_tiered":
            spec["tier_mode"] = data["tier_mode"]
        if kind == "growth":
            spec["growth_payout_base"] = data["growth_payout_base"]
            spec["zero_base_policy"] = data["zero_base_policy"]
        table = {"volume_tiered": "tiers", "growth": "growth_tiers",
                 "target": "achievement_tiers"}.get(kind)  # fmt: skip
        if table:
            spec[table] = [[a.strip(), b.strip()] for a, b in self.table_rows(table)
                           if a.strip() or b.strip()]  # fmt: skip
        return spec

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            parse_rule(self.spec())
        except ValidationError as error:
            add_service_error(self, error)
        return cleaned
