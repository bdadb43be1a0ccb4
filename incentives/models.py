"""Rebate programs (返利政策) and their rules. A rule is kept as versions: editing a rule
of an approved program adds a version, and a result keeps the version that produced it."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from channelhub.lib.fields import JSONTextField
from partners.querysets import PartnerRowQuerySet
from tiers.choices import RunStatus

from .choices import PayoutStatus, ProgramStatus, RunKind, SettlementKind, StatementStatus


class RebateProgram(models.Model):
    """A set of rules for a period, drafted, approved by a sales VP other than its last
    editor (maker-checker), and retired when it ends."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    status = models.CharField(
        _("status"), max_length=20, choices=ProgramStatus.choices, default=ProgramStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("last edited by"), on_delete=models.SET_NULL,
        related_name="+", null=True,
    )  # fmt: skip
    updated_at = models.DateTimeField(_("last edited at"), auto_now=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), on_delete=models.SET_NULL,
        related_name="+", null=True, blank=True,
    )  # fmt: skip
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rebate program")
        verbose_name_plural = _("rebate programs")
        ordering = ["-period_start", "name"]
        permissions = [("approve_rebateprogram", "Can approve rebate programs")]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="program_period_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(status=ProgramStatus.APPROVED) | Q(approved_by__isnull=False),
                name="program_approved_has_approver",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RebateRule(models.Model):
    """One version of a rule: its fields as rebates.md §2 names them (`spec`, checked by
    `incentives.rules.parse_rule`). One current version per code and program."""

    program = models.ForeignKey(RebateProgram, on_delete=models.PROTECT, related_name="rules")
    code = models.CharField(_("code"), max_length=50)
    version = models.PositiveIntegerField(_("version"), default=1)
    spec = models.JSONField(_("rule"))
    position = models.PositiveIntegerField(_("order"), default=0)
    is_current = models.BooleanField(default=True)
    # Approved with its program: results may use it, so an edit makes a new version.
    is_frozen = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rebate rule")
        verbose_name_plural = _("rebate rules")
        ordering = ["program", "position", "code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "code", "version"], name="rule_version_unique"
            ),
            models.UniqueConstraint(
                fields=["program", "code"], condition=Q(is_current=True),
                name="rule_one_current_version",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class RebateRun(models.Model):
    """One computation of a program for one period: accrual (period to date, as of a day)
    or final. A Celery task computes it batch by batch, with its progress here; it replaces
    the program's unapproved statements of that period and never touches approved ones."""

    program = models.ForeignKey(RebateProgram, on_delete=models.PROTECT, related_name="runs")
    period = models.CharField(_("period"), max_length=7)
    kind = models.CharField(_("kind"), max_length=10, choices=RunKind.choices)
    as_of = models.DateField(_("as of"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    rules = models.JSONField(_("rule versions used"), default=list)
    # The newest sales line when the run began: it counts no later line, and the lines
    # behind its results are rebuilt up to it (lines are never edited, only added).
    last_line = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    claim = models.CharField(max_length=32, blank=True, editable=False)  # the worker's token
    total = models.PositiveIntegerField(_("partners"), default=0)
    done = models.PositiveIntegerField(_("partners computed"), default=0)
    amount = models.DecimalField(_("total rebate"), max_digits=16, decimal_places=2, default=0)
    error = models.TextField(blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("rebate run")
        verbose_name_plural = _("rebate runs")
        ordering = ["-created_at", "-pk"]
        permissions = [("run_rebates", "Can run rebate computations")]

    def __str__(self) -> str:
        return f"{self.program} · {self.period} · {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return reverse("incentives:run_detail", args=[self.pk])

    @property
    def percent_done(self) -> int:
        if self.status == RunStatus.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class RebateStatement(models.Model):
    """A partner's rebate statement (返利对账单) for a program and period, from one run: its
    results rule by rule and what approving it settles. Once approved it never changes (a
    database trigger refuses any update or delete)."""

    run = models.ForeignKey(RebateRun, on_delete=models.PROTECT, related_name="statements")
    # Indexes cost on every statement a run writes: the run's and the partner's serve the
    # reads (and the one-draft constraint's index a program's drafts).
    program = models.ForeignKey(
        RebateProgram, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.PROTECT,
        related_name="rebate_statements",
    )  # fmt: skip
    period = models.CharField(_("period"), max_length=7)
    kind = models.CharField(_("kind"), max_length=10, choices=RunKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=StatementStatus.choices,
        default=StatementStatus.DRAFT,
    )  # fmt: skip
    amount = models.DecimalField(_("rebate"), max_digits=16, decimal_places=2)
    # amount − what was settled before: the settlement approving it writes (payouts minus
    # claw-backs); recomputed under lock at approval.
    to_settle = models.DecimalField(_("to settle"), max_digits=16, decimal_places=2)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), on_delete=models.PROTECT,
        related_name="+", null=True, blank=True, db_index=False,
    )  # fmt: skip
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    objects = PartnerRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("rebate statement")
        verbose_name_plural = _("rebate statements")
        ordering = ["program", "period", "partner"]
        permissions = [("approve_rebatestatement", "Can approve rebate statements")]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "period", "partner"], condition=Q(status="draft"),
                name="statement_one_draft",
            ),
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(approved_by__isnull=False, approved_at__isnull=False),
                name="statement_approved_has_approver",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.partner} · {self.period}"

    def get_absolute_url(self) -> str:
        return reverse("incentives:statement_detail", args=[self.pk])

    @property
    def settled_before(self) -> Decimal:
        """What earlier statements of its program, period and partner settled: per rule the
        settlement makes the settled sums equal the amounts, so this is amount − to_settle
        (a draft's `to_settle` is computed from them; an approved one's is what it wrote)."""
        return self.amount - self.to_settle

    @property
    def payout_status(self) -> str:
        """Nothing to pay (a draft, or nothing settled), pending, or paid (recorded)."""
        if self.status != StatementStatus.APPROVED or self.to_settle == 0:
            return PayoutStatus.NOTHING
        return PayoutStatus.PAID if hasattr(self, "payout") else PayoutStatus.PENDING


class RebateResult(models.Model):
    """One (rule, partner, period) result with its explanation (rebates.md §3 step 11).
    A lean table — the run writes hundreds of thousands with COPY, and a foreign-key check
    per row costs more than computing the row: its two references are written by the run
    alone, from rows it has just written or read, and the statement's are dropped with it
    (`runs._drop_drafts`); what guards an approved statement's results is the trigger. The
    explanation is JSON kept as text (`JSONTextField`): it is only ever read whole."""

    statement = models.ForeignKey(
        RebateStatement, on_delete=models.DO_NOTHING, related_name="results",
        db_constraint=False,
    )  # fmt: skip
    rule = models.ForeignKey(
        RebateRule, on_delete=models.DO_NOTHING, related_name="+", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=20)
    lines = models.PositiveIntegerField(_("lines"), default=0)
    explanation = JSONTextField(_("explanation"))

    class Meta:
        verbose_name = _("rebate result")
        verbose_name_plural = _("rebate results")
        ordering = ["statement", "pk"]

    def __str__(self) -> str:
        return f"{self.rule} · {self.amount}"


class SettlementLine(models.Model):
    """What approving a statement settled for one rule: amount now − settled before
    (rebates.md §4): a payout (> 0) or a claw-back (< 0). Never changed or deleted."""

    statement = models.ForeignKey(
        RebateStatement, on_delete=models.PROTECT, related_name="settlement_lines"
    )
    program = models.ForeignKey(RebateProgram, on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("period"), max_length=7)
    rule_code = models.CharField(_("rule"), max_length=50)
    rule = models.ForeignKey(RebateRule, on_delete=models.PROTECT, related_name="+", null=True)
    kind = models.CharField(_("kind"), max_length=10, choices=SettlementKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("settlement line")
        verbose_name_plural = _("settlement lines")
        ordering = ["pk"]
        indexes = [models.Index(fields=["program", "period", "partner"])]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="settlement_not_zero"),
            models.CheckConstraint(
                condition=Q(kind="payout", amount__gt=0) | Q(kind="clawback", amount__lt=0),
                name="settlement_kind_matches_sign",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_code} · {self.amount}"


class Payout(models.Model):
    """The payment of an approved statement's settlement (or the recovery of a net
    claw-back), recorded once with its date and reference. Never changed or deleted."""

    statement = models.OneToOneField(
        RebateStatement, on_delete=models.PROTECT, related_name="payout"
    )
    paid_on = models.DateField(_("paid on"))
    reference = models.CharField(_("payment reference"), max_length=100)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")

    def __str__(self) -> str:
        return f"{self.statement} · {self.reference}"
