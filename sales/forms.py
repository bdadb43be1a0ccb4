from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import DEFAULT_SOURCE, Category, Product


class CategoryChoiceField(forms.ModelChoiceField):
    """Categories in tree order, indented by depth."""

    def label_from_instance(self, obj: Category) -> str:
        return f"{obj.indented_name} ({obj.code})"


class CategoryForm(forms.ModelForm):
    parent = CategoryChoiceField(
        label=_("Parent category"),
        queryset=Category.objects.all(),
        required=False,
        empty_label=_("(top level)"),
    )

    class Meta:
        model = Category
        fields = ["code", "name", "parent"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # not below itself
            self.fields["parent"].queryset = Category.objects.exclude(  # type: ignore[attr-defined]
                path__startswith=self.instance.path
            )


class ProductForm(forms.ModelForm):
    category = CategoryChoiceField(label=_("Category"), queryset=Category.objects.all())

    class Meta:
        model = Product
        fields = ["code", "name", "category", "is_active"]


class CatalogueImportForm(forms.Form):
    KINDS = [("categories", _("Categories")), ("products", _("Products"))]

    kind = forms.ChoiceField(label=_("The file holds"), choices=KINDS)
    file = forms.FileField(label=_("File"), help_text=_("An .xlsx workbook or a .csv file."))


class SalesImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("An .xlsx workbook or a .csv file (UTF-8 or GBK), one row per line."),
    )
    source = forms.SlugField(
        label=_("Source system"),
        max_length=30,
        initial=DEFAULT_SOURCE,
        help_text=_(
            "Document numbers are unique per source: use one source per system the lines come from."
        ),
    )


class TargetImportForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("An .xlsx workbook or a .csv file."))


class TargetForm(forms.Form):
    """An annual target; the quarters may be left empty for an even split."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    category = CategoryChoiceField(
        label=_("Category"),
        queryset=Category.objects.all(),
        required=False,
        empty_label=_("(all categories)"),
    )
    amount = forms.DecimalField(
        label=_("Annual target"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    q1 = forms.DecimalField(label=_("Q1"), max_digits=14, decimal_places=2, required=False)
    q2 = forms.DecimalField(label=_("Q2"), max_digits=14, decimal_places=2, required=False)
    q3 = forms.DecimalField(label=_("Q3"), max_digits=14, decimal_places=2, required=False)
    q4 = forms.DecimalField(label=_("Q4"), max_digits=14, decimal_places=2, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year
        self.fields["q1"].help_text = _("Leave the four quarters empty to split evenly.")

    def quarters(self) -> list[Decimal] | None:
        values = [self.cleaned_data.get(key) for key in ("q1", "q2", "q3", "q4")]
        return None if all(value is None for value in values) else values  # type: ignore[return-value]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        values = [data.get(key) for key in ("q1", "q2", "q3", "q4")]
        if any(value is not None for value in values) and any(value is None for value in values):
            raise forms.ValidationError(_("Give all four quarters, or none for an even split."))
        return data
