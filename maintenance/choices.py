from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewFrequency(models.TextChoices):
    QUARTER = "quarter", _("Every quarter")
    HALF_YEAR = "half_year", _("Every half-year")


class InteractionKind(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("On-site visit")
    ONLINE_MEETING = "online_meeting", _("Online meeting")
    MARKET_UPDATE = "market_update", _("Market update shared")
    OTHER = "other", _("Other contact")


class InteractionChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    WECHAT = "wechat", _("WeChat")
    WECOM = "wecom", _("WeCom")
    DINGTALK = "dingtalk", _("DingTalk")
    EMAIL = "email", _("Email")
    ON_SITE = "on_site", _("On site")
    VIDEO = "video", _("Video call")
    OTHER = "other", _("Other")


class TaskKind(models.TextChoices):
    """Contact and visit tasks are planned from the tier policy; ad-hoc ones by people."""

    CONTACT = "contact", _("Contact due")
    VISIT = "visit", _("On-site visit due")
    ADHOC = "adhoc", _("Task")


PLANNED_TASK_KINDS = (TaskKind.CONTACT, TaskKind.VISIT)


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
