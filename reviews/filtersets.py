"""One FilterSet for the review list page and the API, one for the action items."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channelhub.lib.periods import QUARTER_PATTERN, Quarter
from partners.choices import Tier
from partners.filtersets import CompactMultipleSelect, manager_choices, visible_partner_choices
from partners.models import Contact

from .choices import ActionStatus, ReviewStatus
from .models import BusinessReview, ReviewAction


class QuarterFilter(django_filters.CharFilter):
    """`2026Q4`: the reviews of that quarter."""

    field_class = forms.RegexField

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("regex", QUARTER_PATTERN)
        kwargs.setdefault("help_text", _("For example 2026Q4."))
        super().__init__(*args, **kwargs)

    def filter(self, queryset: QuerySet, value: str) -> QuerySet:
        if not value:
            return queryset
        quarter = Quarter.parse(value)
        assert quarter is not None  # the field's regex validated it
        return queryset.filter(year=quarter.year, quarter=quarter.number)


class ReviewFilterSet(django_filters.FilterSet):
    period = QuarterFilter(label=_("Quarter"))
    partner = django_filters.ModelChoiceFilter(label=_("Partner"), queryset=visible_partner_choices)
    tier = django_filters.MultipleChoiceFilter(
        label=_("Tier"), choices=Tier.choices, widget=CompactMultipleSelect
    )
    manager = django_filters.ModelChoiceFilter(
        label=_("Manager"), queryset=manager_choices, empty_label=_("All")
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=ReviewStatus.choices, widget=CompactMultipleSelect
    )
    score_min = django_filters.NumberFilter(
        label=_("Overall score from"), field_name="overall_score", lookup_expr="gte"
    )
    score_max = django_filters.NumberFilter(
        label=_("Overall score to"), field_name="overall_score", lookup_expr="lte"
    )

    class Meta:
        model = BusinessReview
        fields = ["period", "partner", "tier", "manager", "status", "score_min", "score_max"]

    @property
    def qs(self) -> QuerySet[BusinessReview]:
        return super().qs.order_by("-year", "-quarter", "due_on", "partner__legal_name", "pk")


def _visible_reviews(request: HttpRequest | None) -> QuerySet:
    return BusinessReview.objects.visible_to(getattr(request, "user", None))


def _visible_contacts(request: HttpRequest | None) -> QuerySet:
    return Contact.objects.visible_to(getattr(request, "user", None))


class ReviewActionFilterSet(django_filters.FilterSet):
    """Choices limited to what the caller sees: an id outside it answers like a missing one."""

    review = django_filters.ModelChoiceFilter(label=_("Review"), queryset=_visible_reviews)
    partner = django_filters.ModelChoiceFilter(label=_("Partner"), queryset=visible_partner_choices)
    owner_user = django_filters.NumberFilter(label=_("Owner (our side)"))
    owner_contact = django_filters.ModelChoiceFilter(
        label=_("Owner (partner side)"), queryset=_visible_contacts
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=ActionStatus.choices, widget=CompactMultipleSelect
    )
    overdue = django_filters.BooleanFilter(label=_("Overdue"), method="filter_overdue")
    due_from = django_filters.DateFilter(field_name="due_on", lookup_expr="gte")
    due_to = django_filters.DateFilter(field_name="due_on", lookup_expr="lte")

    class Meta:
        model = ReviewAction
        fields = ["review", "partner", "owner_user", "owner_contact", "status", "overdue"]

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        late = Q(status=ActionStatus.OPEN, due_on__lt=timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)
