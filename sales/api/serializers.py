from typing import Any

from rest_framework import serializers

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
