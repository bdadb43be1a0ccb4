"""Filters of the sales API."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from partners.filtersets import visible_partner_choices

from .choices import DocType
from .models import Category, Product, SalesLine, SalesTarget


class ProductFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label="Code or name contains")
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(), method="filter_category", label="Category or below"
    )

    class Meta:
        model = Product
        fields = ["is_active"]

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(code__icontains=value) | queryset.filter(name__icontains=value)

    def filter_category(self, queryset: QuerySet, name: str, value: Category) -> QuerySet:
        return queryset.filter(category__in=Category.objects.subtree(value))


class SalesLineFilterSet(django_filters.FilterSet):
    """Choices follow the row rule: another portfolio's partner answers like a missing one
    (and is not listed in the browsable API's filter form)."""

    partner = django_filters.ModelChoiceFilter(queryset=visible_partner_choices)
    import_batch = django_filters.NumberFilter()
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")
    doc_type = django_filters.ChoiceFilter(choices=DocType.choices)
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(), method="filter_category", label="Category or below"
    )

    class Meta:
        model = SalesLine
        fields = ["partner", "source", "doc_number", "import_batch"]

    def filter_category(self, queryset: QuerySet, name: str, value: Category) -> QuerySet:
        return queryset.filter(category__in=Category.objects.subtree(value))


class SalesTargetFilterSet(django_filters.FilterSet):
    partner = django_filters.ModelChoiceFilter(queryset=visible_partner_choices)

    class Meta:
        model = SalesTarget
        fields = ["partner", "year", "category"]
