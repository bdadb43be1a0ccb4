from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from channelhub.api.permissions import NotFoundBeforeForbiddenMixin
from channelhub.lib.requests import acting_user
from sales.api.serializers import PartnerPerformanceSerializer
from sales.performance import partner_performance

from .. import services
from ..filtersets import ContactFilterSet, PartnerFilterSet
from ..models import Contact, Partner, Tag
from .serializers import (
    ContactSerializer,
    PartnerEventSerializer,
    PartnerSerializer,
    StatusNoteSerializer,
    TagSerializer,
    TerminateSerializer,
    TierChangeRequestSerializer,
    TierChangeSerializer,
)


class HasPermission(BasePermission):
    """For actions that need a permission beyond the model's CRUD ones."""

    def __init__(self, permission: str):
        self.permission = permission

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.has_perm(self.permission))


class PartnerViewSet(NotFoundBeforeForbiddenMixin, viewsets.ModelViewSet):
    """Partners the caller may see (`visible_to`), filtered like the list page."""

    serializer_class = PartnerSerializer
    filterset_class = PartnerFilterSet
    queryset = Partner.objects.none()  # for the schema; requests use get_queryset
    # Partners are never deleted through the API: they are terminated (and kept).
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    ACTION_PERMISSIONS = {
        "terminate": "partners.terminate_partner",
        "suspend": "partners.terminate_partner",
        "reactivate": "partners.terminate_partner",
        "change_tier": "partners.change_partner_tier",
    }

    # Actions that read only the partner's own rows need none of the list prefetches.
    ACTIONS_WITHOUT_PARTNER_BODY = frozenset(
        {"timeline", "tier_history", "contacts", "performance"}
    )

    def get_queryset(self) -> QuerySet[Partner]:
        queryset = Partner.objects.visible_to(self.request.user)
        if self.action in self.ACTIONS_WITHOUT_PARTNER_BODY:
            return queryset
        return queryset.for_list().prefetch_related("specialists")

    def get_permissions(self) -> list[Any]:
        permissions = list(super().get_permissions())
        if self.action in self.ACTION_PERMISSIONS:
            permissions.append(HasPermission(self.ACTION_PERMISSIONS[self.action]))
        return permissions

    def perform_create(self, serializer: PartnerSerializer) -> None:  # type: ignore[override]
        data = dict(serializer.validated_data)
        data.pop("version", None)
        specialists = data.pop("specialists", [])
        tags = data.pop("tags", [])
        user = acting_user(self.request)
        data.setdefault("owner", services.default_owner(user))
        serializer.instance = services.create_partner(
            created_by=user,
            specialists=specialists,
            tags=tags,
            **data,
        )

    def perform_update(self, serializer: PartnerSerializer) -> None:  # type: ignore[override]
        data = dict(serializer.validated_data)
        expected_version = data.pop("version", None)
        data.pop("code", None)
        data.pop("tier", None)
        serializer.instance = services.update_partner(
            self.get_object(),  # the one found by the 404-first check, not a new query
            changed_by=acting_user(self.request),
            expected_version=expected_version,
            specialists=data.pop("specialists", None),
            tags=data.pop("tags", None),
            **data,
        )

    def _respond(self, partner: Partner) -> Response:
        partner = self.get_queryset().get(pk=partner.pk)
        return Response(PartnerSerializer(partner, context=self.get_serializer_context()).data)

    @extend_schema(request=TerminateSerializer, responses=PartnerSerializer)
    @action(detail=True, methods=["post"])
    def terminate(self, request: Request, pk: str | None = None) -> Response:
        partner = self.get_object()
        body = TerminateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        partner = services.terminate_partner(
            partner,
            terminated_by=acting_user(request),
            terminated_on=data["terminated_on"],
            reason=data["reason"],
            note=data["note"],
            expected_version=data.get("version"),
        )
        return self._respond(partner)

    @extend_schema(request=StatusNoteSerializer, responses=PartnerSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str | None = None) -> Response:
        partner = self.get_object()
        body = StatusNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        partner = services.suspend_partner(
            partner,
            suspended_by=acting_user(request),
            note=body.validated_data["note"],
            expected_version=body.validated_data.get("version"),
        )
        return self._respond(partner)

    @extend_schema(request=StatusNoteSerializer, responses=PartnerSerializer)
    @action(detail=True, methods=["post"])
    def reactivate(self, request: Request, pk: str | None = None) -> Response:
        partner = self.get_object()
        body = StatusNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        partner = services.reactivate_partner(
            partner,
            reactivated_by=acting_user(request),
            note=body.validated_data["note"],
            expected_version=body.validated_data.get("version"),
        )
        return self._respond(partner)

    @extend_schema(request=TierChangeRequestSerializer, responses=PartnerSerializer)
    @action(detail=True, methods=["post"], url_path="change-tier")
    def change_tier(self, request: Request, pk: str | None = None) -> Response:
        partner = self.get_object()
        body = TierChangeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        partner = services.change_tier(
            partner,
            to_tier=data["to_tier"],
            changed_by=acting_user(request),
            reason=data["reason"],
            effective_on=data.get("effective_on"),
            expected_version=data.get("version"),
        )
        return self._respond(partner)

    @extend_schema(responses=PartnerEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def timeline(self, request: Request, pk: str | None = None) -> Response:
        events = self.get_object().events.select_related("actor")
        page = self.paginate_queryset(events)
        return self.get_paginated_response(PartnerEventSerializer(page, many=True).data)

    @extend_schema(responses=TierChangeSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="tier-history")
    def tier_history(self, request: Request, pk: str | None = None) -> Response:
        changes = self.get_object().tier_changes.select_related("changed_by")
        page = self.paginate_queryset(changes)
        return self.get_paginated_response(TierChangeSerializer(page, many=True).data)

    @extend_schema(responses=PartnerPerformanceSerializer)
    @action(detail=True, methods=["get"])
    def performance(self, request: Request, pk: str | None = None) -> Response:
        """Net sales by quarter (last 8), growth vs a year earlier, target achievement and
        sales by category, as on the partner page."""
        figures = partner_performance(self.get_object(), today=timezone.localdate())
        return Response(PartnerPerformanceSerializer(figures).data)

    @extend_schema(responses=ContactSerializer(many=True))
    @action(detail=True, methods=["get"])
    def contacts(self, request: Request, pk: str | None = None) -> Response:
        contacts = self.get_object().contacts.all()
        page = self.paginate_queryset(contacts)
        serializer = ContactSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)


class ContactViewSet(NotFoundBeforeForbiddenMixin, viewsets.ModelViewSet):
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    queryset = Contact.objects.none()

    def get_queryset(self) -> QuerySet[Contact]:
        return Contact.objects.visible_to(self.request.user).order_by(
            "partner_id", "-is_primary", "name"
        )

    def perform_create(self, serializer: ContactSerializer) -> None:  # type: ignore[override]
        serializer.instance = services.save_contact(
            Contact(**serializer.validated_data),
            saved_by=acting_user(self.request),
        )

    def perform_update(self, serializer: ContactSerializer) -> None:  # type: ignore[override]
        contact = self.get_object()
        for name, value in serializer.validated_data.items():
            setattr(contact, name, value)
        serializer.instance = services.save_contact(contact, saved_by=acting_user(self.request))

    def perform_destroy(self, instance: Contact) -> None:
        services.remove_contact(instance, removed_by=acting_user(self.request))


class TagViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = TagSerializer
    queryset = Tag.objects.all()
