from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Digest, ReminderPreference, Team, TeamMessage


class DeliveryAdmin(admin.ModelAdmin):
    """Outbox rows: read-only, failed ones visible and retried by an action."""

    list_filter = ("status", "for_date")
    readonly_fields = [
        "for_date", "status", "attempts", "next_attempt_at", "claimed_at", "last_error",
        "sent_at", "created_at",
    ]  # fmt: skip
    actions = ["retry"]

    @admin.action(description=_("Send again"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = services.retry(queryset)
        self.message_user(
            request, _("%(count)d queued again.") % {"count": count}, messages.SUCCESS
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Digest)
class DigestAdmin(DeliveryAdmin):
    list_display = ("for_date", "recipient", "status", "attempts", "sent_at", "last_error")
    list_select_related = ("recipient",)
    search_fields = ("recipient__username",)
    readonly_fields = [*DeliveryAdmin.readonly_fields, "recipient", "covers_from", "items"]


@admin.register(TeamMessage)
class TeamMessageAdmin(DeliveryAdmin):
    list_display = ("for_date", "team", "status", "attempts", "sent_at", "last_error")
    readonly_fields = [*DeliveryAdmin.readonly_fields, "team", "text"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "webhook_kind")
    filter_horizontal = ("members",)


@admin.register(ReminderPreference)
class ReminderPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "email_enabled", "send_hour")
