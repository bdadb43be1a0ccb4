from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from partners.models import Contact, Partner

from ..choices import IssueCategory
from ..forms import assignable_users
from ..knowledge import render_markdown
from ..models import Article, IssueComment, PartnerIssue

User = get_user_model()
ISSUE_WRITABLE = ("partner", "title", "category", "priority", "description", "contact", "assignee")


class IssueSerializer(serializers.ModelSerializer):
    """A partner issue. POST opens one (partner, title, category, description; optional
    priority, contact, assignee); everything else is set by the steps."""

    partner = serializers.PrimaryKeyRelatedField(queryset=Partner.objects.none())
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.none(), required=False, allow_null=True
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), required=False, allow_null=True
    )
    first_response_seconds = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = PartnerIssue
        fields = [
            "id", "partner", "title", "category", "priority", "description", "contact",
            "status", "assignee", "opened_by", "manager", "tier", "created_at", "sla_days",
            "sla_due_at", "due_at", "paused_seconds", "first_response_at",
            "first_response_seconds", "resolved_at", "resolved_by", "resolution",
            "resolution_seconds", "sla_met", "closed_at", "close_reason", "reopen_count",
        ]  # fmt: skip
        read_only_fields = [f for f in fields if f not in ISSUE_WRITABLE]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            partners = Partner.objects.visible_to(request.user)
            self.fields["partner"].queryset = partners  # type: ignore[attr-defined]
            self.fields["contact"].queryset = Contact.objects.filter(partner__in=partners)  # type: ignore[attr-defined]
            self.fields["assignee"].queryset = assignable_users(partners)  # type: ignore[attr-defined]


class IssueCommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = IssueComment
        fields = ["id", "issue", "author", "body", "is_internal", "created_at"]
        read_only_fields = ["id", "issue", "author", "created_at"]


class AssignSerializer(serializers.Serializer):
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        partners = Partner.objects.visible_to(getattr(request, "user", None))
        self.fields["assignee"].queryset = assignable_users(partners)  # type: ignore[attr-defined]


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=5000)


class ResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField(max_length=10000)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ArticleSerializer(serializers.ModelSerializer):
    """A knowledge article; `solution_html` is the solution rendered (no raw HTML)."""

    issues = serializers.SerializerMethodField()
    solution_html = serializers.SerializerMethodField()
    categories = serializers.MultipleChoiceField(choices=IssueCategory.choices, required=False)

    class Meta:
        model = Article
        fields = ["id", "title", "problem", "solution", "solution_html", "tags", "categories",
                  "issues", "created_by", "updated_by", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["id", "created_by", "updated_by", "created_at", "updated_at"]

    def validate_categories(self, value: set[str]) -> list[str]:
        return sorted(value)

    def to_representation(self, instance: Article) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["categories"] = list(instance.categories)
        return data

    def get_issues(self, article: Article) -> list[int]:
        """Only the linked issues of partners the caller sees (prefetched by the viewset)."""
        return sorted(issue.pk for issue in getattr(article, "visible_issues", []))

    def get_solution_html(self, article: Article) -> str:
        return str(render_markdown(article.solution))


class IssueKpiSerializer(serializers.Serializer):
    group = serializers.CharField(allow_null=True)
    label = serializers.CharField()  # type: ignore[assignment]
    opened = serializers.IntegerField()
    complaints = serializers.IntegerField()
    active_partners = serializers.IntegerField(allow_null=True)
    complaint_rate = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)
    resolved = serializers.IntegerField()
    sla_met = serializers.IntegerField()
    sla_met_percent = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    median_first_response_hours = serializers.DecimalField(
        max_digits=10, decimal_places=1, allow_null=True
    )
    median_resolution_hours = serializers.DecimalField(
        max_digits=10, decimal_places=1, allow_null=True
    )
