"""Monthly partner satisfaction surveys (满意度调查): the schedule and questions a sales VP
edits, one survey per partner and month sent to its primary contact with a secret link,
and the one response each survey can get."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from partners.choices import Tier

from .choices import CORE_QUESTION_KINDS, QuestionKind, SurveyStatus
from .querysets import SurveyQuerySet, SurveyResponseQuerySet

LOW_SATISFACTION = 2  # 1–2 of 5 asks for a follow-up call
LOW_RECOMMEND = 6  # 0–6 of 10 (a detractor) too


class SurveySettings(models.Model):
    """When the month's surveys go out and how long their links work (one row; every version
    is kept)."""

    is_enabled = models.BooleanField(_("send the monthly survey"), default=True)
    send_day = models.PositiveSmallIntegerField(
        _("send on day of the month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("1–28. If the system was down that day, they go out when it is back."),
    )
    send_hour = models.PositiveSmallIntegerField(
        _("from (hour)"),
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(23)],
        help_text=_("0–23, company time."),
    )
    valid_days = models.PositiveSmallIntegerField(
        _("the link works for (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("survey settings")
        verbose_name_plural = _("survey settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(send_day__gte=1, send_day__lte=28, send_hour__lte=23,
                            valid_days__gte=1, valid_days__lte=90),
                name="survey_settings_in_range",
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return str(_("Survey settings"))


class SurveyQuestion(models.Model):
    """A question of the monthly survey, in both languages. The satisfaction, recommend and
    comment questions always exist (their wording can change); extra ones can be added and
    retired. A sent survey keeps the questions it was sent with."""

    kind = models.CharField(_("kind"), max_length=20, choices=QuestionKind.choices)
    text_zh = models.CharField(_("question (Chinese)"), max_length=300)
    text_en = models.CharField(_("question (English)"), max_length=300)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    is_required = models.BooleanField(_("an answer is required"), default=False)
    is_active = models.BooleanField(_("asked"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind__in=CORE_QUESTION_KINDS),
                name="survey_question_one_core_each",
            ),
            models.CheckConstraint(
                condition=Q(is_active=True) | ~Q(kind__in=CORE_QUESTION_KINDS),
                name="survey_core_questions_asked",
            ),
        ]

    def __str__(self) -> str:
        return self.text_en

    @property
    def is_core(self) -> bool:
        return self.kind in CORE_QUESTION_KINDS

    def snapshot(self) -> dict[str, Any]:
        return {
            "id": self.pk,
            "kind": self.kind,
            "text_zh": self.text_zh,
            "text_en": self.text_en,
            "required": self.is_required,
        }


class Survey(models.Model):
    """One partner's survey of one month, sent to its primary contact. The link's token is
    known only to the email: the row keeps its SHA-256."""

    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="surveys",
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    contact = models.ForeignKey(
        "partners.Contact",
        verbose_name=_("sent to"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    email = models.EmailField(_("email"))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    questions = models.JSONField(_("questions"), default=list)
    status = models.CharField(
        _("status"), max_length=20, choices=SurveyStatus.choices, default=SurveyStatus.PENDING
    )
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("link expires at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-month", "partner_id"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "month"], name="survey_one_per_month"),
            models.CheckConstraint(
                condition=Q(status__in=[SurveyStatus.PENDING, SurveyStatus.FAILED])
                | Q(token_hash__isnull=False),
                name="survey_sent_has_token",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="survey_due"),
            models.Index(fields=["month", "status"], name="survey_month_status"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} · {self.partner_id}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    def question_text(self, question: dict[str, Any], language: str) -> str:
        return str(question["text_en" if language == "en" else "text_zh"])


def _rating(label: Any, highest: int) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label,
        null=True,
        blank=True,
        validators=[MinValueValidator(0 if highest == 10 else 1), MaxValueValidator(highest)],
    )


class SurveyResponse(models.Model):
    """A partner's answers to one survey (at most one: the unique survey decides when two
    submissions race). A low score opens a follow-up task for the partner's manager."""

    survey = models.OneToOneField(
        Survey, verbose_name=_("survey"), on_delete=models.PROTECT, related_name="response"
    )
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="survey_responses"
    )
    satisfaction = _rating(_("satisfaction (1–5)"), 5)
    recommend = _rating(_("likelihood to recommend (0–10)"), 10)
    comment = models.TextField(_("comments"), max_length=5000, blank=True)
    answers = models.JSONField(_("other answers"), default=dict, blank=True)
    submitted_at = models.DateTimeField(_("answered at"), default=timezone.now)
    needs_follow_up = models.BooleanField(_("needs a follow-up"), default=False)
    follow_up_task = models.ForeignKey(
        "maintenance.MaintenanceTask",
        verbose_name=_("follow-up task"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )

    objects = SurveyResponseQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="response_satisfaction_1_5",
            ),
            models.CheckConstraint(
                condition=Q(recommend__isnull=True) | Q(recommend__gte=0, recommend__lte=10),
                name="response_recommend_0_10",
            ),
        ]
        indexes = [
            models.Index(fields=["submitted_at"], name="response_submitted"),
            models.Index(fields=["partner", "-submitted_at"], name="response_partner_time"),
        ]

    def __str__(self) -> str:
        return f"{self.survey} · {self.satisfaction}/{self.recommend}"


def is_low_score(satisfaction: int | None, recommend: int | None) -> bool:
    return (satisfaction is not None and satisfaction <= LOW_SATISFACTION) or (
        recommend is not None and recommend <= LOW_RECOMMEND
    )
