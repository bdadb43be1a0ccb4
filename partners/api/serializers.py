from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from rest_framework import serializers

from accounts.roles import Role

from ..choices import Province, TerminationReason, Tier
from ..models import Contact, Partner, PartnerEvent, Tag, TierChange
from ..services import default_owner

User = get_user_model()


class ContactSerializer(serializers.ModelSerializer):
    partner = serializers.PrimaryKeyRelatedField(queryset=Partner.objects.none())

    class Meta:
        model = Contact
        fields = [
            "id",
            "partner",
            "name",
            "title",
            "phone",
            "email",
            "birthday",
            "is_primary",
            "language",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # One primary per partner is kept by the service (it demotes the previous one).
        validators: list = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        partner_field = self.fields["partner"]
        # Request-scoped: someone else's partner id answers 400 exactly like a missing one.
        partner_field.queryset = Partner.objects.visible_to(request.user if request else None)  # type: ignore[attr-defined]
        if self.instance is not None:
            partner_field.read_only = True


class NestedContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name", "title", "phone", "email", "is_primary"]


class PartnerSerializer(serializers.ModelSerializer):
    """Archive fields are writable; status and tier change through the actions, the owner
    only for users allowed to assign it."""

    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(groups__name=Role.CHANNEL_MANAGER, is_active=True),
        required=False,
        allow_null=True,
    )
    owner_name: serializers.StringRelatedField = serializers.StringRelatedField(
        source="owner", read_only=True
    )
    specialists = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(groups__name=Role.CHANNEL_SPECIALIST, is_active=True),
        many=True,
        required=False,
    )
    tags = serializers.SlugRelatedField(
        slug_field="name", queryset=Tag.objects.all(), many=True, required=False
    )
    coverage = serializers.ListField(
        child=serializers.ChoiceField(choices=Province.choices), required=False
    )
    tier = serializers.ChoiceField(choices=Tier.choices, required=False)
    primary_contact = NestedContactSerializer(read_only=True)
    version = serializers.IntegerField(
        required=False,
        help_text=_lazy(
            "The version you read; if the partner changed since, the update answers 409."
        ),
    )
    code = serializers.CharField(max_length=30, required=False, allow_blank=True)

    class Meta:
        model = Partner
        fields = [
            "id",
            "code",
            "legal_name",
            "short_name",
            "partner_type",
            "tier",
            "province",
            "city",
            "coverage",
            "revenue_band",
            "headcount",
            "cooperation_start_date",
            "contract_end_date",
            "owner",
            "owner_name",
            "specialists",
            "tags",
            "status",
            "terminated_on",
            "termination_reason",
            "termination_note",
            "notes",
            "primary_contact",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "terminated_on",
            "termination_reason",
            "termination_note",
            "created_at",
            "updated_at",
        ]

    def validate_code(self, value: str) -> str:
        if self.instance is not None and value and value != self.instance.code:
            raise serializers.ValidationError(_("The partner code cannot be changed."))
        if self.instance is None and value and Partner.objects.filter(code=value).exists():
            raise serializers.ValidationError(_("A partner with this code already exists."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = self.context["request"].user
        errors = {}
        if "specialists" in attrs and not user.has_perm("partners.assign_partner_specialists"):
            current_specialists = set(self.instance.specialists.all()) if self.instance else set()
            if set(attrs["specialists"]) != current_specialists:
                errors["specialists"] = _("You cannot assign specialists.")
        if "owner" in attrs and not user.has_perm("partners.assign_partner_owner"):
            current = self.instance.owner if self.instance else default_owner(user)
            if attrs["owner"] != current:
                errors["owner"] = _("You cannot assign the owner.")
        if "tier" in attrs:
            if self.instance is not None and attrs["tier"] != self.instance.tier:
                errors["tier"] = _("Change the tier with the change-tier action.")
            elif (
                self.instance is None
                and attrs["tier"] != Tier.POTENTIAL
                and not user.has_perm("partners.change_partner_tier")
            ):
                errors["tier"] = _("Only a sales VP can set the tier.")
        start = attrs.get("cooperation_start_date") or getattr(
            self.instance, "cooperation_start_date", None
        )
        end = attrs.get("contract_end_date", getattr(self.instance, "contract_end_date", None))
        if start and end and end < start:
            errors["contract_end_date"] = _(
                "The contract cannot end before the cooperation starts."
            )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class TerminateSerializer(serializers.Serializer):
    terminated_on = serializers.DateField()
    reason = serializers.ChoiceField(choices=TerminationReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False)


class StatusNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False)


class TierChangeRequestSerializer(serializers.Serializer):
    to_tier = serializers.ChoiceField(choices=Tier.choices)
    reason = serializers.CharField()
    effective_on = serializers.DateField(required=False)
    version = serializers.IntegerField(required=False)


class TierChangeSerializer(serializers.ModelSerializer):
    changed_by: serializers.StringRelatedField = serializers.StringRelatedField()

    class Meta:
        model = TierChange
        fields = [
            "id",
            "from_tier",
            "to_tier",
            "effective_on",
            "reason",
            "changed_by",
            "created_at",
        ]


class PartnerEventSerializer(serializers.ModelSerializer):
    actor: serializers.StringRelatedField = serializers.StringRelatedField()

    class Meta:
        model = PartnerEvent
        fields = ["id", "kind", "occurred_at", "actor", "details"]


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]
