from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Survey, SurveyQuestion, SurveyResponse, SurveySettings


@admin.register(SurveySettings)
class SurveySettingsAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "is_enabled", "send_day", "send_hour", "valid_days")


@admin.register(SurveyQuestion)
class SurveyQuestionAdmin(SimpleHistoryAdmin):
    list_display = ("position", "kind", "text_zh", "text_en", "is_required", "is_active")


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("month", "partner", "email", "status", "sent_at", "expires_at", "attempts")
    list_filter = ("status", "month")
    search_fields = ("partner__code", "partner__legal_name", "email")
    list_select_related = ("partner",)
    raw_id_fields = ("partner", "contact", "manager")
    # The hash is not secret-bearing, but nobody needs it in a form.
    exclude = ("token_hash",)
    readonly_fields = ("questions", "sent_at", "expires_at", "attempts", "last_error")


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ("submitted_at", "partner", "satisfaction", "recommend", "needs_follow_up")
    list_filter = ("needs_follow_up",)
    search_fields = ("partner__code", "partner__legal_name", "comment")
    list_select_related = ("partner",)
    raw_id_fields = ("survey", "partner", "follow_up_task")
