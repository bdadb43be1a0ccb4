from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import RebateProgram, RebateRule


class RuleInline(admin.TabularInline):
    model = RebateRule
    extra = 0
    readonly_fields = ("code", "version", "spec", "is_current", "is_frozen", "created_by")
    can_delete = False


@admin.register(RebateProgram)
class RebateProgramAdmin(SimpleHistoryAdmin):
    list_display = ("name", "period_start", "period_end", "status", "updated_by", "approved_by")
    list_filter = ("status",)
    readonly_fields = ("status", "approved_by", "approved_at", "updated_by")
    inlines = [RuleInline]
