"""One FilterSet for the issue list page and the API; one for articles."""

from __future__ import annotations

import django_filters
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.filtersets import CompactMultipleSelect, visible_partner_choices

from .choices import CLOCK_RUNNING, IssueCategory, IssuePriority, IssueStatus
from .models import Article, PartnerIssue


def assignee_choices(request: HttpRequest | None) -> QuerySet:
    from accounts.models import User

    user = getattr(request, "user", None)
    users = User.objects.filter(is_active=True, groups__permissions__codename="change_partnerissue")
    if user is None or getattr(user, "sees_all_partners", False):
        return users.distinct().order_by("username")
    return users.filter(pk=user.pk or 0).distinct()


class IssueFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_search",
                                  help_text=_("Title, description or partner"))  # fmt: skip
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=IssueStatus.choices, widget=CompactMultipleSelect
    )
    category = django_filters.MultipleChoiceFilter(
        label=_("Category"), choices=IssueCategory.choices, widget=CompactMultipleSelect
    )
    priority = django_filters.ChoiceFilter(label=_("Priority"), choices=IssuePriority.choices,
                                           empty_label=_("All"))  # fmt: skip
    assignee = django_filters.ModelChoiceFilter(
        label=_("Assignee"), queryset=assignee_choices, empty_label=_("All")
    )
    partner = django_filters.ModelChoiceFilter(label=_("Partner"), queryset=visible_partner_choices)
    past_sla = django_filters.BooleanFilter(label=_("Past the SLA"), method="filter_past_sla")

    class Meta:
        model = PartnerIssue
        fields = ["q", "status", "category", "priority", "assignee", "partner", "past_sla"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value) | Q(description__icontains=value)
            | Q(partner__legal_name__icontains=value) | Q(partner__code__iexact=value)
        )  # fmt: skip

    def filter_past_sla(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        past = (
            Q(status__in=CLOCK_RUNNING, due_at__lt=timezone.now())
            | Q(status=IssueStatus.WAITING, paused_since__gt=F("due_at"))
            | Q(sla_met=False)
        )
        return queryset.filter(past) if value else queryset.exclude(past)


class ArticleFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="filter_search", help_text=_("Words or parts of words")
    )
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=IssueCategory.choices, method="filter_category",
        empty_label=_("All"),
    )  # fmt: skip

    class Meta:
        model = Article
        fields = ["q", "category"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.search(value) if value else queryset  # type: ignore[attr-defined]

    def filter_category(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # A quoted value inside the JSON list's text: portable, exact for these codes.
        return queryset.filter(categories__icontains=f'"{value}"') if value else queryset
