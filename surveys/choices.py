from django.db import models
from django.utils.translation import gettext_lazy as _


class QuestionKind(models.TextChoices):
    """The three questions every survey asks (one each), and the extra ones a sales VP adds."""

    SATISFACTION = "satisfaction", _("Satisfaction (1–5)")
    RECOMMEND = "recommend", _("Likelihood to recommend (0–10)")
    COMMENT = "comment", _("Comments")
    RATING = "rating", _("Extra rating (1–5)")
    TEXT = "text", _("Extra free text")


CORE_QUESTION_KINDS = (QuestionKind.SATISFACTION, QuestionKind.RECOMMEND, QuestionKind.COMMENT)


class SurveyStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    FAILED = "failed", _("Could not be sent")


class ResultGrouping(models.TextChoices):
    MONTH = "month", _("Month")
    TIER = "tier", _("Tier")
    REGION = "region", _("Region")
    MANAGER = "manager", _("Manager")
