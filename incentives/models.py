"""Rebate programs (返利政策) and their rules. A rule is kept as versions: editing a rule
of an approved program adds a version, and a result keeps the version that produced it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import ProgramStatus


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
