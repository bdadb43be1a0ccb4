"""The summaries the dashboards read (issue 9): one row per partner per month, quarter and
year, kept current from the raw tables (see `summary.py`), so that a dashboard's cost does not
grow with the number of sales lines."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from partners.choices import PartnerType, Province, Tier

from .periods import KINDS


class PartnerPeriodSummary(models.Model):
    """A partner's figures for one period. The partner counts for the tier it held on the
    period's last day (today, for the period under way); province, type and owner are the
    partner's current ones, like the partner list's filters."""

    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=1, choices=list(KINDS.items()))
    start = models.DateField()
    tier = models.CharField(max_length=20, choices=Tier.choices)
    # +1 promoted, -1 demoted since the end of the previous period; 0 otherwise.
    movement = models.SmallIntegerField(default=0)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        related_name="+",
        null=True,
        db_constraint=False,
        db_index=False,
    )
    province = models.CharField(max_length=2, choices=Province.choices)
    partner_type = models.CharField(max_length=20, choices=PartnerType.choices)
    at_start = models.BooleanField()  # a partner, not terminated, on the period's first day
    at_end = models.BooleanField()  # not terminated at the period's end (or today)
    is_new = models.BooleanField()  # cooperation started within the period
    terminated = models.BooleanField()  # terminated within the period
    net_sales = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    net_sales_year_before = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    target = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    tasks_due = models.PositiveIntegerField(default=0)
    tasks_on_time = models.PositiveIntegerField(default=0)
    reviews_due = models.PositiveIntegerField(default=0)
    reviews_on_time = models.PositiveIntegerField(default=0)
    interactions = models.PositiveIntegerField(default=0)
    rebate_cost = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))

    class Meta:
        verbose_name = _("partner period summary")
        verbose_name_plural = _("partner period summaries")
        default_permissions = ("view",)
        permissions = [
            ("view_tier_dashboard", _("Can view the tier dashboard")),
            ("view_team_dashboard", _("Can view the team dashboard")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "kind", "start"], name="summary_one_per_partner_period"
            ),
        ]
        # A dashboard reads the rows of a few periods; the largest partners of a period are
        # read in net-sales order.
        indexes = [
            models.Index(fields=["kind", "start", "net_sales"], name="summary_period_sales"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.kind}{self.start}"


class SummaryQueue(models.Model):
    """Partners whose summaries must be recomputed: written in the same transaction as the
    change, so nothing is lost when the broker is down; drained by a worker (several
    workers drain it side by side: each locks the rows it takes)."""

    partner_id = models.BigIntegerField(primary_key=True)
    queued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("partner waiting for its summaries")
        verbose_name_plural = _("partners waiting for their summaries")

    def __str__(self) -> str:
        return str(self.partner_id)


class DashboardSettings(models.Model):
    """One row: the warning levels the dashboards use (editable by a sales VP)."""

    hhi_warning = models.PositiveIntegerField(
        _("HHI warning level"),
        default=1500,
        help_text=_("Warn when the HHI of net sales is above this (0–10 000)."),
    )
    top10_warning_percent = models.PositiveSmallIntegerField(
        _("top-10 concentration warning (%)"),
        default=50,
        help_text=_("Warn when the 10 largest partners make more than this share of net sales."),
    )
    low_score = models.DecimalField(
        _("low scorecard"),
        max_digits=3,
        decimal_places=1,
        default=Decimal("3.0"),
        help_text=_("A partner whose last closed review scored below this is at risk."),
    )
    rebuilt_at = models.DateTimeField(_("summaries last rebuilt"), null=True, editable=False)

    history = HistoricalRecords(excluded_fields=["rebuilt_at"])

    class Meta:
        verbose_name = _("dashboard settings")
        verbose_name_plural = _("dashboard settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
