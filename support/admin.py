from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Article, IssueAttachment, IssueComment, PartnerIssue


class CommentInline(admin.TabularInline):
    model = IssueComment
    extra = 0
    raw_id_fields = ("author",)


class AttachmentInline(admin.TabularInline):
    model = IssueAttachment
    extra = 0
    readonly_fields = ("name", "content_type", "size", "uploaded_by", "uploaded_at")


@admin.register(PartnerIssue)
class PartnerIssueAdmin(SimpleHistoryAdmin):
    list_display = ("pk", "title", "partner", "category", "priority", "status", "assignee",
                    "due_at", "sla_met")  # fmt: skip
    list_filter = ("status", "category", "priority", "tier")
    search_fields = ("title", "partner__code", "partner__legal_name")
    list_select_related = ("partner", "assignee")
    raw_id_fields = ("partner", "contact", "assignee", "opened_by", "manager", "resolved_by")
    readonly_fields = ("sla_due_at", "paused_seconds", "resolution_seconds", "sla_met")
    inlines = [CommentInline, AttachmentInline]


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    list_display = ("title", "tags", "updated_at", "updated_by")
    search_fields = ("title", "tags")
    raw_id_fields = ("issues", "created_by", "updated_by")
