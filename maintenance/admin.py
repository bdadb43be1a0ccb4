from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from dashboards.admin import QueuesSummariesAdmin

from .models import Interaction, InteractionAttachment, MaintenanceTask, TierPolicy


@admin.register(TierPolicy)
class TierPolicyAdmin(SimpleHistoryAdmin):
    list_display = ("tier", "contact_every_days", "visit_every_days", "review_every")


class AttachmentInline(admin.TabularInline):
    model = InteractionAttachment
    extra = 0
    readonly_fields = ("name", "content_type", "size", "uploaded_at")


@admin.register(Interaction)
class InteractionAdmin(QueuesSummariesAdmin, admin.ModelAdmin):
    list_display = ("occurred_at", "partner", "kind", "logged_by")
    list_filter = ("kind",)
    search_fields = ("partner__code", "partner__legal_name", "summary")
    list_select_related = ("partner", "logged_by")
    raw_id_fields = ("partner",)
    inlines = [AttachmentInline]


@admin.register(MaintenanceTask)
class MaintenanceTaskAdmin(QueuesSummariesAdmin, SimpleHistoryAdmin):
    list_display = ("due_on", "partner", "kind", "title", "assignee", "status")
    list_filter = ("kind", "status")
    search_fields = ("partner__code", "title")
    list_select_related = ("partner", "assignee")
    raw_id_fields = ("partner", "interaction")
