from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from dashboards.admin import QueuesSummariesAdmin

from .models import Contact, ImportBatch, Partner, PartnerEvent, Tag, TierChange


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ("name", "title", "phone", "email", "birthday", "is_primary", "language")


@admin.register(Partner)
class PartnerAdmin(QueuesSummariesAdmin, SimpleHistoryAdmin):
    list_display = ("code", "legal_name", "partner_type", "tier", "province", "status", "owner")
    list_filter = ("tier", "status", "partner_type", "province", "tags")
    search_fields = ("code", "legal_name", "short_name", "contacts__name", "contacts__phone")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner",)
    filter_horizontal = ("specialists", "tags")
    readonly_fields = ("version", "created_at", "updated_at")
    inlines = [ContactInline]
    show_full_result_count = False


@admin.register(Contact)
class ContactAdmin(SimpleHistoryAdmin):
    list_display = ("name", "partner", "title", "phone", "email", "is_primary")
    search_fields = ("name", "phone", "email", "partner__legal_name")
    list_select_related = ("partner",)
    raw_id_fields = ("partner",)


@admin.register(Tag)
class TagAdmin(SimpleHistoryAdmin):
    search_fields = ("name",)


@admin.register(TierChange)
class TierChangeAdmin(QueuesSummariesAdmin, admin.ModelAdmin):
    list_display = ("partner", "from_tier", "to_tier", "effective_on", "changed_by", "created_at")
    list_filter = ("to_tier",)
    list_select_related = ("partner", "changed_by")
    raw_id_fields = ("partner",)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # tier history is append-only


@admin.register(PartnerEvent)
class PartnerEventAdmin(QueuesSummariesAdmin, admin.ModelAdmin):
    list_display = ("partner", "kind", "occurred_at", "actor")
    list_filter = ("kind",)
    list_select_related = ("partner", "actor")
    raw_id_fields = ("partner",)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ("file_name", "uploaded_by", "status", "partner_count", "created_at")
    list_filter = ("status",)
    exclude = ("content",)
    readonly_fields = ("errors",)
