from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import EvaluationRun, PartnerScore, ScoringModel, TierProposal


@admin.register(ScoringModel)
class ScoringModelAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "core_min", "regular_min", "demote_after", "grace_quarters")


@admin.register(EvaluationRun)
class EvaluationRunAdmin(admin.ModelAdmin):
    list_display = ("pk", "year", "quarter", "status", "scored", "total", "proposals", "created_at")
    list_filter = ("status",)
    readonly_fields = ("model", "tier_averages", "error")


@admin.register(PartnerScore)
class PartnerScoreAdmin(admin.ModelAdmin):
    list_display = ("run", "partner", "current_tier", "earned_tier", "score", "proposed_tier")
    list_filter = ("earned_tier", "current_tier")
    raw_id_fields = ("run", "partner")
    search_fields = ("partner__code", "partner__legal_name")


@admin.register(TierProposal)
class TierProposalAdmin(SimpleHistoryAdmin):
    list_display = ("run", "partner", "from_tier", "to_tier", "direction", "status", "decided_by")
    list_filter = ("status", "direction")
    raw_id_fields = ("run", "partner", "score", "decided_by")
    search_fields = ("partner__code", "partner__legal_name")
