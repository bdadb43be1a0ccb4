"""One FilterSet for the partner list page, its exports and the API (NetBox style)."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from dashboards.drilldown import SEGMENT_CHOICES, behind_figure, validate_period

from .choices import PartnerStatus, PartnerType, Province, Tier
from .models import Contact, Partner, Tag

User = get_user_model()


class CompactMultipleSelect(forms.SelectMultiple):
    """A one-line dropdown (with "All") for a multi-value filter: the page picks one value,
    while a URL or an API call may carry several (?tier=core&tier=regular)."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].pop("multiple", None)
        everything = self.create_option(name, "", str(_("All")), not value, 0)
        context["widget"]["optgroups"].insert(0, (None, [everything], 0))
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return [value for value in super().value_from_datadict(data, files, name) if value]


def manager_choices(request: HttpRequest | None) -> QuerySet:
    managers = User.objects.filter(groups__name=Role.CHANNEL_MANAGER, is_active=True)
    user = getattr(request, "user", None)
    if user is None or getattr(user, "sees_all_partners", False):
        return managers.order_by("username")
    return managers.filter(pk=user.pk or 0)


class PartnerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="filter_search", help_text=_("Name, code, city or contact")
    )
    tier = django_filters.MultipleChoiceFilter(
        label=_("Tier"), choices=Tier.choices, widget=CompactMultipleSelect
    )
    partner_type = django_filters.MultipleChoiceFilter(
        label=_("Partner type"), choices=PartnerType.choices, widget=CompactMultipleSelect
    )
    province = django_filters.MultipleChoiceFilter(
        label=_("Province"), choices=Province.choices, widget=CompactMultipleSelect
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=PartnerStatus.choices, widget=CompactMultipleSelect
    )
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"), queryset=manager_choices, empty_label=_("All")
    )
    tag = django_filters.ModelMultipleChoiceFilter(
        label=_("Tag"),
        field_name="tags",
        queryset=Tag.objects.all(),
        distinct=True,
        widget=CompactMultipleSelect,
    )
    # The partners behind a dashboard figure (hidden: set by the dashboards' links).
    period = django_filters.CharFilter(
        label=_("Period"),
        method="filter_nothing",
        widget=forms.HiddenInput,
        validators=[validate_period],
    )
    period_tier = django_filters.ChoiceFilter(
        label=_("Tier in the period"),
        choices=Tier.choices,
        method="filter_nothing",
        widget=forms.HiddenInput,
    )
    segment = django_filters.ChoiceFilter(
        label=_("Figure"),
        choices=SEGMENT_CHOICES,
        method="filter_nothing",
        widget=forms.HiddenInput,
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        empty_label=_("Name"),
        fields=(
            ("legal_name", "legal_name"),
            ("code", "code"),
            ("tier", "tier"),
            ("province", "province"),
            ("status", "status"),
            ("cooperation_start_date", "cooperation_start_date"),
            ("contract_end_date", "contract_end_date"),
            ("created_at", "created_at"),
            ("updated_at", "updated_at"),
        ),
        field_labels={
            "legal_name": _("Legal name"),
            "code": _("Partner code"),
            "tier": _("Tier"),
            "province": _("Province"),
            "status": _("Status"),
            "cooperation_start_date": _("Cooperation start date"),
            "contract_end_date": _("Contract end date"),
            "created_at": _("Created at"),
            "updated_at": _("Updated at"),
        },
    )

    class Meta:
        model = Partner
        fields = [
            "q",
            "tier",
            "partner_type",
            "province",
            "status",
            "owner",
            "tag",
            "period",
            "period_tier",
            "segment",
        ]

    def filter_search(self, queryset: QuerySet[Partner], name: str, value: str) -> QuerySet:
        return queryset.search(value)  # type: ignore[attr-defined]

    def filter_nothing(self, queryset: QuerySet[Partner], name: str, value: str) -> QuerySet:
        return queryset  # read together in filter_queryset

    def filter_queryset(self, queryset: QuerySet[Partner]) -> QuerySet[Partner]:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        return behind_figure(
            queryset,
            period_text=data.get("period") or "",
            tier=data.get("period_tier") or "",
            segment=data.get("segment") or "",
        )

    @property
    def figure_description(self) -> list[str]:
        """What the dashboard link selected, for the list's banner."""
        if not self.is_valid() or not self.form.cleaned_data.get("period"):
            return []
        data = self.form.cleaned_data
        parts = [data["period"]]
        if data.get("period_tier"):
            parts.append(str(dict(Tier.choices)[data["period_tier"]]))
        if data.get("segment"):
            parts.append(str(dict(SEGMENT_CHOICES)[data["segment"]]))
        return parts

    @property
    def qs(self) -> QuerySet[Partner]:
        queryset = super().qs
        # A stable order for pagination when the user picked none (or a non-unique one).
        return queryset.order_by(*queryset.query.order_by, "legal_name", "pk")


def visible_partner_choices(request: HttpRequest | None) -> QuerySet:
    # Request-scoped so that an invisible partner id answers exactly like a missing one.
    return Partner.objects.visible_to(getattr(request, "user", None))


class ContactFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    partner = django_filters.ModelChoiceFilter(label=_("Partner"), queryset=visible_partner_choices)

    class Meta:
        model = Contact
        fields = ["partner", "is_primary"]

    def filter_search(self, queryset: QuerySet[Contact], name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(name__icontains=value) | Q(phone__icontains=value) | Q(email__icontains=value)
        )
