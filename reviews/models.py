"""Quarterly business reviews (季度业务回顾): one per partner and quarter, planned from the
tier policy, scheduled, held and closed with a scorecard; the action items agreed in them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from channelhub.lib.periods import Quarter
from maintenance.models import Attachment
from partners.choices import Tier

from .choices import ActionStatus, Dimension, ReviewFormat, ReviewStatus
from .querysets import ReviewActionQuerySet, ReviewQuerySet

SCORE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


def _score_field(label: Any) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label, null=True, blank=True, validators=SCORE_VALIDATORS
    )


def _comment_field() -> models.TextField:
    return models.TextField(_("comment"), max_length=2000, blank=True)


class ScorecardWeights(models.Model):
    """How the four dimensions make the overall score (one row; a sales VP edits it, every
    version is kept). A closed review keeps the weights it was closed with."""

    sales = models.PositiveSmallIntegerField(_("sales performance"), default=40)
    service = models.PositiveSmallIntegerField(_("service level"), default=20)
    market = models.PositiveSmallIntegerField(_("market feedback"), default=20)
    satisfaction = models.PositiveSmallIntegerField(_("partner satisfaction"), default=20)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("scorecard weights")
        verbose_name_plural = _("scorecard weights")
        constraints = [
            models.CheckConstraint(
                condition=Q(sales__lte=100, service__lte=100, market__lte=100,
                            satisfaction__lte=100),
                name="weights_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(sales__gt=0) | Q(service__gt=0) | Q(market__gt=0)
                | Q(satisfaction__gt=0),
                name="weights_not_all_zero",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return " / ".join(str(self.as_dict()[key]) for key in Dimension.values)

    def as_dict(self) -> dict[str, int]:
        return {key: getattr(self, key) for key in Dimension.values}


class BusinessReview(models.Model):
    """A partner's business review for one quarter. Planned (by the quarter's plan or by a
    person), scheduled by the manager, held, then closed with a complete scorecard — the
    sales figures are frozen then — or cancelled with a reason."""

    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="business_reviews",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    due_on = models.DateField(_("due by"), help_text=_("The last day of the quarter."))
    tier = models.CharField(_("tier when planned"), max_length=20, choices=Tier.choices)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        on_delete=models.PROTECT,
        related_name="business_reviews",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.PLANNED
    )
    # The meeting, as the manager plans it.
    scheduled_at = models.DateTimeField(_("date and time"), null=True, blank=True)
    schedule_set_on = models.DateField(null=True, blank=True, editable=False)
    format = models.CharField(_("format"), max_length=20, choices=ReviewFormat.choices, blank=True)
    agenda = models.TextField(_("agenda"), max_length=5000, blank=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("our people"), related_name="+", blank=True
    )
    contacts = models.ManyToManyField(
        "partners.Contact", verbose_name=_("partner contacts"), related_name="+", blank=True
    )
    # The record.
    held_on = models.DateField(_("held on"), null=True, blank=True)
    notes = models.TextField(_("notes"), max_length=10000, blank=True)
    partner_requests = models.TextField(_("partner's requests"), max_length=5000, blank=True)
    sales_score = _score_field(_("sales performance"))
    sales_comment = _comment_field()
    service_score = _score_field(_("service level"))
    service_comment = _comment_field()
    market_score = _score_field(_("market feedback"))
    market_comment = _comment_field()
    satisfaction_score = _score_field(_("partner satisfaction"))
    satisfaction_comment = _comment_field()
    overall_score = models.DecimalField(
        _("overall score"), max_digits=3, decimal_places=2, null=True, blank=True
    )
    weights = models.JSONField(_("weights used"), null=True, blank=True, editable=False)
    figures = models.JSONField(_("frozen figures"), null=True, blank=True, editable=False)
    # Who did what, when.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("planned by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("planned at"), auto_now_add=True)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=500, blank=True)

    history = HistoricalRecords(excluded_fields=["figures"])
    objects = ReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("business review")
        verbose_name_plural = _("business reviews")
        ordering = ["-year", "-quarter", "partner_id"]
        permissions = [("plan_quarter", "Can plan a quarter's business reviews")]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "year", "quarter"],
                condition=~Q(status=ReviewStatus.CANCELLED),
                name="review_one_per_partner_quarter",
            ),
            models.CheckConstraint(
                condition=Q(status=ReviewStatus.PLANNED) | Q(status=ReviewStatus.CANCELLED)
                | Q(held_on__isnull=False),
                name="review_held_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReviewStatus.CLOSED)
                | Q(sales_score__isnull=False, service_score__isnull=False,
                    market_score__isnull=False, satisfaction_score__isnull=False,
                    overall_score__isnull=False, figures__isnull=False),
                name="review_closed_has_scorecard",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReviewStatus.CANCELLED) | ~Q(cancel_reason=""),
                name="review_cancelled_has_reason",
            ),
        ]  # fmt: skip
        indexes = [
            models.Index(fields=["year", "quarter", "status"], name="review_quarter_status"),
            models.Index(fields=["manager", "status"], name="review_manager_status"),
            models.Index(fields=["partner", "-year", "-quarter"], name="review_partner_quarter"),
            models.Index(  # the digest's "coming up in 7 days"
                fields=["scheduled_at"],
                name="review_planned_meeting",
                condition=Q(status=ReviewStatus.PLANNED, scheduled_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} · {self.partner_id}"

    def get_absolute_url(self) -> str:
        return reverse("reviews:review_detail", args=[self.pk])

    @property
    def period(self) -> Quarter:
        return Quarter(self.year, self.quarter)

    @property
    def scores(self) -> dict[str, int | None]:
        return {key: getattr(self, f"{key}_score") for key in Dimension.values}

    @property
    def scorecard_complete(self) -> bool:
        return all(score is not None for score in self.scores.values())

    @property
    def is_editable(self) -> bool:
        return self.status in (ReviewStatus.PLANNED, ReviewStatus.HELD)


class ReviewAttachment(Attachment):
    """Minutes, slides or photos of a review."""

    review = models.ForeignKey(BusinessReview, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="reviews/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )

    class Meta(Attachment.Meta):
        pass

    def get_absolute_url(self) -> str:
        return reverse("reviews:attachment_download", args=[self.pk])


class ReviewAction(models.Model):
    """Something agreed in a review: an owner on our side or the partner's, a due date, and
    a status. Open items are in their owner's task list and digest (a partner contact's in
    the manager's); overdue ones are flagged on the partner page and in the next review."""

    review = models.ForeignKey(
        BusinessReview,
        verbose_name=_("review"),
        on_delete=models.PROTECT,
        related_name="actions",
    )
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="review_actions"
    )
    title = models.CharField(_("action"), max_length=300)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner (our side)"),
        on_delete=models.PROTECT,
        related_name="review_actions",
        null=True,
        blank=True,
    )
    owner_contact = models.ForeignKey(
        "partners.Contact",
        verbose_name=_("owner (partner side)"),
        on_delete=models.PROTECT,
        related_name="review_actions",
        null=True,
        blank=True,
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=20, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )

    history = HistoricalRecords()
    objects = ReviewActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("review action item")
        verbose_name_plural = _("review action items")
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_user__isnull=False, owner_contact__isnull=True)
                | Q(owner_user__isnull=True, owner_contact__isnull=False),
                name="action_has_one_owner",
            ),
            models.CheckConstraint(
                condition=Q(status=ActionStatus.DONE, completed_on__isnull=False)
                | (~Q(status=ActionStatus.DONE) & Q(completed_on__isnull=True)),
                name="action_done_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["owner_user", "status", "due_on"], name="action_owner_due"),
            models.Index(fields=["status", "due_on"], name="action_status_due"),
            models.Index(fields=["partner", "status"], name="action_partner_status"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def owner(self) -> object:
        return self.owner_user or self.owner_contact

    @property
    def is_overdue(self) -> bool:
        return self.status == ActionStatus.OPEN and self.due_on < timezone.localdate()


class ReviewPlanRun(models.Model):
    """A quarter's plan was made (by beat at the quarter's start, or by a person on demand):
    beat plans each quarter once, even when it missed the first day."""

    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    ran_at = models.DateTimeField(auto_now_add=True)
    ran_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    created = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("review plan run")
        verbose_name_plural = _("review plan runs")
        ordering = ["-ran_at"]

    def __str__(self) -> str:
        return f"{self.year}Q{self.quarter} @ {self.ran_at:%Y-%m-%d %H:%M}"
