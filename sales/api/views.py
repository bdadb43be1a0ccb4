from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from rest_framework import mixins, serializers, viewsets
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated

from channelhub.api.permissions import NotFoundBeforeForbiddenMixin
from channelhub.lib.requests import acting_user
from partners.models import Partner

from .. import services
from ..filtersets import ProductFilterSet, SalesLineFilterSet, SalesTargetFilterSet
from ..models import Category, Product, SalesImport, SalesLine, SalesTarget
from .serializers import (
    CategorySerializer,
    ProductSerializer,
    SalesImportSerializer,
    SalesLineSerializer,
    SalesTargetSerializer,
)

NO_DELETE = ["get", "post", "put", "patch", "head", "options"]


class SavedThroughServiceMixin:
    """Creates and updates go through the app's service (history, tree paths)."""

    request: Any

    def save(self, instance: Any, *, saved_by: Any) -> Any:
        raise NotImplementedError

    def perform_create(self, serializer: Any) -> None:
        model = serializer.Meta.model
        serializer.instance = self.save(
            model(**serializer.validated_data), saved_by=acting_user(self.request)
        )

    def perform_update(self, serializer: Any) -> None:
        instance = self.get_object()  # type: ignore[attr-defined]
        for name, value in serializer.validated_data.items():
            setattr(instance, name, value)
        serializer.instance = self.save(instance, saved_by=acting_user(self.request))


class CategoryViewSet(SavedThroughServiceMixin, viewsets.ModelViewSet):
    """The category tree in tree order; a sales VP adds, renames and moves categories."""

    serializer_class = CategorySerializer
    queryset = Category.objects.all()
    http_method_names = NO_DELETE  # sales lines point at categories: never deleted
    filterset_fields = ["parent"]

    def save(self, instance: Category, *, saved_by: Any) -> Category:
        return services.save_category(instance, saved_by=saved_by)


class ProductViewSet(SavedThroughServiceMixin, viewsets.ModelViewSet):
    serializer_class = ProductSerializer
    queryset = Product.objects.all()
    http_method_names = NO_DELETE  # retired products are made inactive
    filterset_class = ProductFilterSet

    def save(self, instance: Product, *, saved_by: Any) -> Product:
        return services.save_product(instance, saved_by=saved_by)


class NewestLinesFirst(CursorPagination):
    """Pages by cursor (`next`/`previous` links), newest import first: no count over millions
    of lines, and a page deep in the list costs what the first one does."""

    ordering = "-id"
    page_size = settings.API_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE


class SalesLineViewSet(NotFoundBeforeForbiddenMixin, viewsets.ReadOnlyModelViewSet):
    """Sales lines of the partners the caller sees. Lines are facts: no writes here; they
    come by import, corrections as credit notes."""

    serializer_class = SalesLineSerializer
    queryset = SalesLine.objects.none()
    filterset_class = SalesLineFilterSet
    pagination_class = NewestLinesFirst

    def get_queryset(self) -> QuerySet[SalesLine]:
        return SalesLine.objects.filter(
            partner__in=Partner.objects.visible_to(self.request.user)
        ).select_related("partner", "category", "product")


class SalesTargetViewSet(NotFoundBeforeForbiddenMixin, viewsets.ModelViewSet):
    """Annual targets of the partners the caller sees. Writing one for a partner, year and
    category that has one changes it (the history keeps every version); only the owner
    manager or a sales VP may."""

    serializer_class = SalesTargetSerializer
    queryset = SalesTarget.objects.none()
    filterset_class = SalesTargetFilterSet
    http_method_names = NO_DELETE

    def get_queryset(self) -> QuerySet[SalesTarget]:
        return SalesTarget.objects.filter(
            partner__in=Partner.objects.visible_to(self.request.user)
        ).select_related("set_by")

    def perform_create(self, serializer: SalesTargetSerializer) -> None:  # type: ignore[override]
        self._save(serializer, serializer.validated_data["partner"])

    def perform_update(self, serializer: SalesTargetSerializer) -> None:  # type: ignore[override]
        target = self.get_object()
        data = {
            "partner": target.partner,
            "year": target.year,
            "category": target.category,
            **serializer.validated_data,
        }
        if (data["partner"], data["year"], data["category"]) != (
            target.partner,
            target.year,
            target.category,
        ):
            raise serializers.ValidationError(
                {"partner": "A target's partner, year and category do not change."}
            )
        serializer.validated_data.update(data)
        self._save(serializer, target.partner)

    def _save(self, serializer: SalesTargetSerializer, partner: Partner) -> None:
        user = acting_user(self.request)
        if not services.may_set_targets(user, partner):
            raise PermissionDenied
        data = serializer.validated_data
        quarters = [data.get(key) for key in ("q1", "q2", "q3", "q4")]
        serializer.instance = services.set_target(
            partner,
            year=data["year"],
            amount=data["amount"],
            category=data.get("category"),
            quarters=None if quarters[0] is None else quarters,
            set_by=user,
        )


class SalesImportViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Upload a file of sales lines (multipart `file`, optional `source`): it is imported by
    a Celery worker; poll the import until `status` is `imported` or `invalid` (then
    `errors` holds the first 1000 and `error_report_url` all of them)."""

    serializer_class = SalesImportSerializer
    queryset = SalesImport.objects.select_related("uploaded_by")
    parser_classes = [MultiPartParser, FormParser]

    def get_permissions(self) -> list[Any]:
        from partners.api.views import HasPermission

        if self.action == "create":
            return [IsAuthenticated(), HasPermission("sales.import_salesline")]
        return list(super().get_permissions())

    def perform_create(self, serializer: SalesImportSerializer) -> None:  # type: ignore[override]
        upload = serializer.validated_data["file"]
        if upload.size > settings.SALES_IMPORT_MAX_UPLOAD_BYTES:
            raise serializers.ValidationError({"file": "The file is too large."})
        serializer.instance = services.queue_sales_import(
            upload,
            file_name=upload.name,
            imported_by=acting_user(self.request),
            source=serializer.validated_data.get("source") or "default",
        )
