from typing import Any

from django.urls import reverse
from rest_framework import serializers

from partners.models import Partner

from ..choices import DocType
from ..models import Category, Product, SalesImport, SalesLine, SalesTarget
from ..performance import PartnerPerformance


class QuarterFiguresSerializer(serializers.Serializer):
    quarter = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    net_sales = serializers.DecimalField(max_digits=16, decimal_places=2)
    net_sales_year_before = serializers.DecimalField(max_digits=16, decimal_places=2)
    growth_percent = serializers.DecimalField(
        max_digits=12, decimal_places=1, allow_null=True, help_text="null when undefined"
    )
    target = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    achievement_percent = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)


class CategoryFiguresSerializer(serializers.Serializer):
    name = serializers.CharField()
    net_sales = serializers.DecimalField(max_digits=16, decimal_places=2)


class PartnerPerformanceSerializer(serializers.Serializer):
    quarters = QuarterFiguresSerializer(many=True)
    by_category = CategoryFiguresSerializer(many=True)
    last_four_quarters = serializers.DecimalField(max_digits=16, decimal_places=2)

    def to_representation(self, performance: PartnerPerformance) -> dict[str, Any]:
        return {
            "quarters": [
                QuarterFiguresSerializer(
                    {
                        "quarter": str(figures.quarter),
                        "start": figures.quarter.start,
                        "end": figures.quarter.end,
                        "net_sales": figures.net_sales,
                        "net_sales_year_before": figures.net_sales_year_before,
                        "growth_percent": figures.growth_percent,
                        "target": figures.target,
                        "achievement_percent": figures.achievement_percent,
                    }
                ).data
                for figures in performance.quarters
            ],
            "by_category": CategoryFiguresSerializer(performance.by_category, many=True).data,
            "last_four_quarters": serializers.DecimalField(
                max_digits=16, decimal_places=2
            ).to_representation(performance.last_four_quarters),
        }


class CategorySerializer(serializers.ModelSerializer):
    depth = serializers.IntegerField(read_only=True)

    class Meta:
        model = Category
        fields = ["id", "code", "name", "parent", "path", "depth"]
        read_only_fields = ["path"]


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "code", "name", "category", "is_active"]


class SalesLineSerializer(serializers.ModelSerializer):
    partner_code = serializers.CharField(source="partner.code", read_only=True)
    category_code = serializers.CharField(source="category.code", read_only=True)
    product_code = serializers.CharField(source="product.code", read_only=True, default=None)
    signed_amount = serializers.SerializerMethodField(
        help_text="net_amount with the document's sign: negative for a credit note"
    )

    class Meta:
        model = SalesLine
        fields = [
            "id", "source", "doc_type", "doc_number", "line_number", "date", "partner",
            "partner_code", "category", "category_code", "product", "product_code", "quantity",
            "net_amount", "signed_amount", "credited_doc_number", "import_batch",
        ]  # fmt: skip

    def get_signed_amount(self, line: SalesLine) -> str:
        sign = -1 if line.doc_type == DocType.CREDIT_NOTE else 1
        return str(sign * line.net_amount)


class SalesTargetSerializer(serializers.ModelSerializer):
    """Quarters may be left out on write: the annual amount is then split evenly."""

    partner = serializers.PrimaryKeyRelatedField(queryset=Partner.objects.none())
    q1 = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    q2 = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    q3 = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    q4 = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    set_by: serializers.StringRelatedField = serializers.StringRelatedField()

    class Meta:
        model = SalesTarget
        fields = [
            "id", "partner", "year", "category", "amount", "q1", "q2", "q3", "q4", "set_by",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = ["set_by", "updated_at"]
        validators: list[Any] = []  # uniqueness: setting an existing target changes it

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["partner"].queryset = Partner.objects.visible_to(request.user)  # type: ignore[attr-defined]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [attrs.get(key) for key in ("q1", "q2", "q3", "q4")]
        if any(value is not None for value in given) and any(value is None for value in given):
            raise serializers.ValidationError(
                {"q1": "Give all four quarters, or none for an even split."}
            )
        return attrs


class SalesImportSerializer(serializers.ModelSerializer):
    file = serializers.FileField(write_only=True)
    uploaded_by: serializers.StringRelatedField = serializers.StringRelatedField()
    progress = serializers.SerializerMethodField()
    error_report_url = serializers.SerializerMethodField()

    class Meta:
        model = SalesImport
        fields = [
            "id", "file", "file_name", "source", "status", "row_count", "inserted_count",
            "skipped_count", "error_count", "errors", "progress", "error_report_url",
            "uploaded_by", "created_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = [
            "file_name", "status", "row_count", "inserted_count", "skipped_count",
            "error_count", "errors", "created_at", "finished_at",
        ]  # fmt: skip

    def get_progress(self, batch: SalesImport) -> dict[str, Any] | None:
        from ..services import import_progress

        return None if batch.is_finished else import_progress(batch)

    def get_error_report_url(self, batch: SalesImport) -> str | None:
        if not batch.error_report:
            return None
        url = reverse("sales:sales_import_errors", args=[batch.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url
