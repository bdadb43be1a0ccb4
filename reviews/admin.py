from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from dashboards.admin import QueuesSummariesAdmin

from .models import (
    BusinessReview,
    ReviewAction,
    ReviewAttachment,
    ReviewPlanRun,
    ScorecardWeights,
)


@admin.register(ScorecardWeights)
class ScorecardWeightsAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "sales", "service", "market", "satisfaction")


class AttachmentInline(admin.TabularInline):
    model = ReviewAttachment
    extra = 0
    readonly_fields = ("name", "content_type", "size", "uploaded_by", "uploaded_at")


@admin.register(BusinessReview)
class BusinessReviewAdmin(QueuesSummariesAdmin, SimpleHistoryAdmin):
    list_display = ("year", "quarter", "partner", "tier", "manager", "status", "overall_score")
    list_filter = ("status", "tier", "year", "quarter")
    search_fields = ("partner__code", "partner__legal_name")
    list_select_related = ("partner", "manager")
    raw_id_fields = ("partner", "manager", "staff", "contacts")
    readonly_fields = ("figures", "weights", "closed_at", "cancelled_at")
    inlines = [AttachmentInline]


@admin.register(ReviewAction)
class ReviewActionAdmin(SimpleHistoryAdmin):
    list_display = ("due_on", "partner", "title", "owner_user", "owner_contact", "status")
    list_filter = ("status",)
    search_fields = ("partner__code", "title")
    list_select_related = ("partner", "owner_user", "owner_contact")
    raw_id_fields = ("review", "partner", "owner_user", "owner_contact")


@admin.register(ReviewPlanRun)
class ReviewPlanRunAdmin(admin.ModelAdmin):
    list_display = ("year", "quarter", "ran_at", "ran_by", "created")
