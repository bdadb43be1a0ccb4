from django.db import models
from django.utils.translation import gettext_lazy as _


class ReminderKind(models.TextChoices):
    """What a digest can hold (product.md §5). Later apps add their kinds here and a
    collector in `reminders.items`."""

    TASK_OVERDUE = "task_overdue", _("Overdue maintenance tasks")
    TASK_DUE_SOON = "task_due_soon", _("Maintenance tasks due soon")
    FOLLOW_UP = "follow_up", _("Follow-ups")
    BIRTHDAY = "birthday", _("Contacts' birthdays")
    HOLIDAY = "holiday", _("Holiday greetings")
    CONTRACT_ENDING = "contract_ending", _("Contracts ending")
    REVIEW_UPCOMING = "review_upcoming", _("Business reviews coming up")
    REVIEW_ACTION_DUE = "review_action_due", _("Review action items due soon")
    REVIEW_ACTION_OVERDUE = "review_action_overdue", _("Review action items overdue")
    SURVEY_LOW_SCORE = "survey_low_score", _("Low survey scores to follow up")
    ISSUE_NEAR_SLA = "issue_near_sla", _("Partner issues near their SLA")
    ISSUE_BREACHED = "issue_breached", _("Partner issues past their SLA")
    TIER_CHANGED = "tier_changed", _("Tier changes of your partners")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent (turned off)")


class WebhookKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group bot")
    DINGTALK = "dingtalk", _("DingTalk group bot")
