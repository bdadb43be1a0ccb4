from __future__ import annotations

from rest_framework import serializers

from ..models import Survey, SurveyResponse


class SurveyResponseSerializer(serializers.ModelSerializer):
    month = serializers.DateField(source="survey.month", read_only=True)

    class Meta:
        model = SurveyResponse
        fields = ["id", "survey", "partner", "month", "satisfaction", "recommend", "comment",
                  "answers", "submitted_at", "needs_follow_up", "follow_up_task"]  # fmt: skip
        read_only_fields = fields


class SurveySerializer(serializers.ModelSerializer):
    """A sent survey (never its link: only the contact's email holds it)."""

    is_expired = serializers.BooleanField(read_only=True)
    response = SurveyResponseSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Survey
        fields = ["id", "partner", "month", "contact", "email", "language", "manager", "tier",
                  "questions", "status", "attempts", "last_error", "sent_at", "expires_at",
                  "is_expired", "response"]  # fmt: skip
        read_only_fields = fields


class ResultRowSerializer(serializers.Serializer):
    group = serializers.CharField(
        allow_null=True, help_text="The month, tier, region or manager id"
    )
    label = serializers.CharField()  # type: ignore[assignment]
    responses = serializers.IntegerField()
    csat = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    nps = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    sent = serializers.IntegerField()
    answered = serializers.IntegerField()
    response_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    low_scores = serializers.IntegerField()
