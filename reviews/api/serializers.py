from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from channelhub.lib.periods import Quarter
from partners.models import Contact, Partner

from ..choices import Dimension, ReviewFormat
from ..models import BusinessReview, ReviewAction

User = get_user_model()


class ReviewSerializer(serializers.ModelSerializer):
    """A business review. `figures` are frozen once the review is closed; before that the
    detail shows them live (the list leaves them out: null)."""

    period = serializers.CharField(help_text="The quarter, for example 2026Q4.")
    scores = serializers.SerializerMethodField()
    comments = serializers.SerializerMethodField()
    figures = serializers.SerializerMethodField()
    held_on_time = serializers.SerializerMethodField()
    partner = serializers.PrimaryKeyRelatedField(queryset=Partner.objects.none())

    class Meta:
        model = BusinessReview
        fields = [
            "id", "partner", "period", "year", "quarter", "due_on", "tier", "manager", "status",
            "scheduled_at", "format", "agenda", "staff", "contacts", "held_on", "held_on_time",
            "notes", "partner_requests", "scores", "comments", "overall_score", "weights",
            "figures", "created_by", "created_at", "held_by", "closed_by", "closed_at",
            "cancelled_by", "cancelled_at", "cancel_reason",
        ]  # fmt: skip
        read_only_fields = [f for f in fields if f not in ("partner", "period")]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["partner"].queryset = Partner.objects.visible_to(request.user)  # type: ignore[attr-defined]

    def validate_period(self, value: str) -> str:
        if Quarter.parse(value) is None:
            raise serializers.ValidationError("Give the quarter as 2026Q4.")
        return value

    def get_scores(self, review: BusinessReview) -> dict[str, int | None]:
        return review.scores

    def get_comments(self, review: BusinessReview) -> dict[str, str]:
        return {key: getattr(review, f"{key}_comment") for key in Dimension.values}

    def get_figures(self, review: BusinessReview) -> dict[str, Any] | None:
        if review.figures is not None:
            return review.figures
        view = self.context.get("view")
        if getattr(view, "action", None) == "list":
            return None
        from sales.performance import quarter_review_figures

        return quarter_review_figures(review.partner_id, review.period)

    def get_held_on_time(self, review: BusinessReview) -> bool | None:
        if review.held_on is None:
            return None
        return review.held_on <= review.due_on


class ScheduleSerializer(serializers.Serializer):
    scheduled_at = serializers.DateTimeField()
    format = serializers.ChoiceField(choices=ReviewFormat.choices)
    agenda = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    staff = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False, default=list
    )
    contacts = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.none(), many=True, required=False, default=list
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["contacts"].child_relation.queryset = Contact.objects.visible_to(  # type: ignore[attr-defined]
                request.user
            )


class RecordSerializer(serializers.Serializer):
    notes = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    partner_requests = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    scores = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=5, allow_null=True),
        required=False,
        help_text="{dimension: 1–5 or null}; dimensions: " + ", ".join(Dimension.values),
    )
    comments = serializers.DictField(
        child=serializers.CharField(max_length=2000, allow_blank=True), required=False
    )


class HoldSerializer(serializers.Serializer):
    held_on = serializers.DateField()


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class ReviewActionSerializer(serializers.ModelSerializer):
    """Give exactly one owner: `owner_user` (one of us, who sees the partner) or
    `owner_contact` (one of the partner's contacts)."""

    review = serializers.PrimaryKeyRelatedField(queryset=BusinessReview.objects.none())
    owner_user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    owner_contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.none(), required=False, allow_null=True
    )
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = ReviewAction
        fields = [
            "id", "review", "partner", "title", "owner_user", "owner_contact", "due_on",
            "status", "note", "created_by", "created_at", "completed_on", "closed_by",
            "is_overdue",
        ]  # fmt: skip
        read_only_fields = [
            "partner", "status", "note", "created_by", "created_at", "completed_on", "closed_by",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["review"].queryset = BusinessReview.objects.visible_to(request.user)  # type: ignore[attr-defined]
            self.fields["owner_contact"].queryset = Contact.objects.visible_to(request.user)  # type: ignore[attr-defined]


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CompletionSerializer(serializers.Serializer):
    manager = serializers.IntegerField(allow_null=True, help_text="null: a team, tier or all")
    team = serializers.IntegerField(allow_null=True, help_text="null: a manager, tier or all")
    tier = serializers.CharField(allow_null=True, help_text="null: a manager, team or all")
    due = serializers.IntegerField()
    on_time = serializers.IntegerField()
    percent = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
