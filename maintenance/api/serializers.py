from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from partners.models import Contact, Partner

from ..models import Interaction, MaintenanceTask, TierPolicy

User = get_user_model()


class InteractionSerializer(serializers.ModelSerializer):
    """`partner` and `contacts` accept only what the caller sees; the logger is the caller."""

    partner = serializers.PrimaryKeyRelatedField(queryset=Partner.objects.none())
    contacts = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.none(), many=True, required=False
    )
    staff = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    logged_by: serializers.StringRelatedField = serializers.StringRelatedField()
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Interaction
        fields = [
            "id", "partner", "kind", "channel", "occurred_at", "staff", "contacts", "summary",
            "next_steps", "follow_up_on", "logged_by", "logged_at", "attachments",
        ]  # fmt: skip
        read_only_fields = ["logged_by", "logged_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["partner"].queryset = Partner.objects.visible_to(request.user)  # type: ignore[attr-defined]
            self.fields["contacts"].child_relation.queryset = Contact.objects.visible_to(  # type: ignore[attr-defined]
                request.user
            )

    def get_attachments(self, interaction: Interaction) -> list[dict[str, Any]]:
        request = self.context.get("request")
        return [
            {
                "name": attachment.name,
                "size": attachment.size,
                "url": request.build_absolute_uri(attachment.get_absolute_url())
                if request
                else attachment.get_absolute_url(),
            }
            for attachment in interaction.attachments.all()
        ]


class MaintenanceTaskSerializer(serializers.ModelSerializer):
    partner = serializers.PrimaryKeyRelatedField(queryset=Partner.objects.none())
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    is_done_on_time = serializers.BooleanField(read_only=True, allow_null=True)

    class Meta:
        model = MaintenanceTask
        fields = [
            "id", "partner", "kind", "title", "due_on", "planned_from", "assignee", "status",
            "note", "created_at", "completed_on", "is_done_on_time", "interaction",
        ]  # fmt: skip
        read_only_fields = [
            "kind", "planned_from", "status", "created_at", "completed_on", "interaction",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["partner"].queryset = Partner.objects.visible_to(request.user)  # type: ignore[attr-defined]


class TaskNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReassignSerializer(serializers.Serializer):
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))


class TierPolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = TierPolicy
        fields = [
            "id", "tier", "contact_every_days", "visit_every_days", "review_every",
            "rebate_multiplier", "issue_sla_days",
        ]  # fmt: skip
        read_only_fields = ["tier"]


class TimelinessSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(allow_null=True, help_text="null: a team or everyone")
    team = serializers.IntegerField(allow_null=True, help_text="null: a person or everyone")
    due = serializers.IntegerField()
    on_time = serializers.IntegerField()
    percent = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
