from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from .models import Category, Product, SalesImport, SalesLine


@admin.register(Category)
class CategoryAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "parent", "path")
    search_fields = ("code", "name")
    readonly_fields = ("path",)


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "category", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name")
    list_select_related = ("category",)


@admin.register(SalesLine)
class SalesLineAdmin(admin.ModelAdmin):
    """Lines are facts: read-only here; corrections are new credit notes."""

    list_display = ("doc_number", "line_number", "doc_type", "date", "partner", "net_amount")
    list_filter = ("doc_type", "source")
    search_fields = ("doc_number", "partner__code")
    list_select_related = ("partner",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SalesImport)
class SalesImportAdmin(admin.ModelAdmin):
    list_display = ("file_name", "source", "status", "row_count", "inserted_count", "created_at")
    list_filter = ("status",)
    readonly_fields = ("errors",)
