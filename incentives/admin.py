from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from .models import Payout, RebateProgram, RebateRule, RebateRun, RebateStatement, SettlementLine


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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Runs, statements and settlements are written by the services only; the admin shows
    them. (Approved ones are also refused by the database, whatever the route.)"""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RebateRun)
class RebateRunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "program", "period", "kind", "status", "done", "total", "amount")
    list_filter = ("status", "kind")


@admin.register(RebateStatement)
class RebateStatementAdmin(ReadOnlyAdmin):
    list_display = ("pk", "partner", "program", "period", "kind", "status", "amount", "to_settle")
    list_filter = ("status", "kind")
    list_select_related = ("partner", "program")
    raw_id_fields = ("partner", "run")


@admin.register(SettlementLine)
class SettlementLineAdmin(ReadOnlyAdmin):
    list_display = ("pk", "partner", "program", "period", "rule_code", "kind", "amount")
    list_filter = ("kind",)
    list_select_related = ("partner", "program")


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ("statement", "paid_on", "reference", "recorded_by")
