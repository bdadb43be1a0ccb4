"""The tier engine (分层评估): the scoring model a sales VP edits, the quarterly evaluation
runs, each partner's score with its explanation, and the tier-change proposals a sales VP
approves or rejects."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from channelhub.lib.periods import Quarter
from partners.choices import Tier
from partners.querysets import PartnerRowQuerySet

from .choices import Criterion, Direction, ProposalStatus, RunStatus

DEFAULT_WEIGHTS = {
    Criterion.NET_SALES: 25, Criterion.GROWTH: 15, Criterion.TARGET: 15,
    Criterion.COVERAGE: 5, Criterion.DEPTH: 10, Criterion.ACTIVITY: 10,
    Criterion.REVIEWS: 10, Criterion.SATISFACTION: 5, Criterion.SERVICE: 5,
}  # fmt: skip


def _weight(criterion: Criterion) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        criterion.label, default=DEFAULT_WEIGHTS[criterion], validators=[MaxValueValidator(100)]
    )


def _count(label: Any, default: int, help_text: Any) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label, default=default, validators=[MinValueValidator(1)], help_text=help_text
    )


class ScoringModel(models.Model):
    """How partners are scored and placed (one row; a sales VP edits it; every version is
    kept, and each run keeps the version it used)."""

    weight_net_sales = _weight(Criterion.NET_SALES)
    weight_growth = _weight(Criterion.GROWTH)
    weight_target = _weight(Criterion.TARGET)
    weight_coverage = _weight(Criterion.COVERAGE)
    weight_depth = _weight(Criterion.DEPTH)
    weight_activity = _weight(Criterion.ACTIVITY)
    weight_reviews = _weight(Criterion.REVIEWS)
    weight_satisfaction = _weight(Criterion.SATISFACTION)
    weight_service = _weight(Criterion.SERVICE)
    net_sales_full = models.DecimalField(
        _("net sales for full points (CNY, 4 quarters)"), max_digits=14, decimal_places=2,
        default=Decimal("5000000.00"), validators=[MinValueValidator(Decimal("1"))],
    )  # fmt: skip
    provinces_full = _count(_("provinces for full points"), 10, "")
    years_full = _count(_("years of cooperation for full points"), 5, "")
    categories_full = _count(_("categories bought for full points"), 5, "")
    interactions_full = _count(_("interactions for full points (4 quarters)"), 12, "")
    core_min = models.PositiveSmallIntegerField(
        _("core from (score)"), default=75, validators=[MaxValueValidator(100)]
    )
    regular_min = models.PositiveSmallIntegerField(
        _("regular from (score)"), default=45, validators=[MaxValueValidator(100)]
    )
    demote_after = _count(
        _("demote after (evaluations below)"), 2,
        _("A demotion is proposed only after this many consecutive evaluations below."),
    )  # fmt: skip
    grace_quarters = models.PositiveSmallIntegerField(
        _("no demotion in the first (quarters)"), default=2
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("scoring model")
        verbose_name_plural = _("scoring model")
        constraints = [
            models.CheckConstraint(
                condition=Q(regular_min__lt=models.F("core_min")), name="scoring_thresholds_order"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Scoring model"))

    def weights(self) -> dict[str, int]:
        return {key: getattr(self, f"weight_{key}") for key in Criterion.values}

    def snapshot(self) -> dict[str, Any]:
        return {
            "weights": self.weights(),
            "net_sales_full": str(self.net_sales_full),
            "provinces_full": self.provinces_full,
            "years_full": self.years_full,
            "categories_full": self.categories_full,
            "interactions_full": self.interactions_full,
            "core_min": self.core_min,
            "regular_min": self.regular_min,
            "demote_after": self.demote_after,
            "grace_quarters": self.grace_quarters,
        }


class EvaluationRun(models.Model):
    """One evaluation of every partner at the start of a quarter, over the four quarters
    before it. Runs in a Celery task, batch by batch, with its progress here."""

    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    status = models.CharField(
        _("status"), max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    model = models.JSONField(_("scoring model used"))
    total = models.PositiveIntegerField(_("partners"), default=0)
    scored = models.PositiveIntegerField(_("scored"), default=0)
    proposals = models.PositiveIntegerField(_("proposals"), default=0)
    tier_averages = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("evaluation run")
        verbose_name_plural = _("evaluation runs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.period}"

    def get_absolute_url(self) -> str:
        return reverse("tiers:run_detail", args=[self.pk])

    @property
    def period(self) -> Quarter:
        return Quarter(self.year, self.quarter)

    @property
    def percent_done(self) -> int:
        return int(100 * self.scored / self.total) if self.total else 0


class PartnerScore(models.Model):
    """A partner's score in a run: each criterion's points and inputs (`criteria`), the
    total, the tier it earns, and the tier it was in."""

    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="scores")
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="tier_scores"
    )
    current_tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    earned_tier = models.CharField(_("earned tier"), max_length=20, choices=Tier.choices)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True)
    criteria = models.JSONField(_("criteria"))
    is_below = models.BooleanField(default=False)  # earns a lower tier than its own
    proposed_tier = models.CharField(max_length=20, choices=Tier.choices, blank=True)

    objects = PartnerRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("tier score")
        verbose_name_plural = _("tier scores")
        ordering = ["-run_id", "partner_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "partner"], name="score_one_per_run_partner")
        ]
        indexes = [models.Index(fields=["partner", "-run"], name="score_partner_run")]

    def __str__(self) -> str:
        return f"{self.run_id} · {self.partner_id} · {self.score}"


class TierProposal(models.Model):
    """A proposed tier change from a run, with the score behind it; a sales VP approves
    (effective on a date) or rejects it with a comment. A newer run supersedes it."""

    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="tier_proposals")
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="tier_proposals"
    )
    score = models.OneToOneField(PartnerScore, on_delete=models.CASCADE, related_name="proposal")
    from_tier = models.CharField(_("from tier"), max_length=20, choices=Tier.choices)
    to_tier = models.CharField(_("to tier"), max_length=20, choices=Tier.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.OPEN
    )
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.SET_NULL,
        related_name="+", null=True, blank=True,
    )  # fmt: skip
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    effective_on = models.DateField(_("effective on"), null=True, blank=True)

    history = HistoricalRecords()
    objects = PartnerRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("tier proposal")
        verbose_name_plural = _("tier proposals")
        ordering = ["-run_id", "partner_id"]
        permissions = [
            ("decide_tierproposal", "Can approve or reject tier proposals"),
            ("run_evaluation", "Can run the tier evaluation"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["partner"],
                condition=Q(status=ProposalStatus.OPEN),
                name="proposal_one_open_per_partner",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[ProposalStatus.OPEN, ProposalStatus.SUPERSEDED])
                | Q(decided_at__isnull=False),
                name="proposal_decided_has_time",
            ),
        ]
        indexes = [models.Index(fields=["run", "status"], name="proposal_run_status")]

    def __str__(self) -> str:
        return f"{self.partner_id}: {self.from_tier} → {self.to_tier}"
