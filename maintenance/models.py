"""Proactive maintenance (product.md §3): the tier policies that set the cadence, the
interactions channel managers log, and the maintenance tasks planned from both."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from partners.choices import Tier

from .choices import (
    PLANNED_TASK_KINDS,
    InteractionChannel,
    InteractionKind,
    ReviewFrequency,
    TaskKind,
    TaskStatus,
)
from .querysets import InteractionQuerySet, MaintenanceTaskQuerySet


class TierPolicy(models.Model):
    """What each tier gets (product.md §3). A sales VP edits it; every version is kept, and
    a change of cadence re-plans the open maintenance tasks of the tier."""

    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, unique=True)
    contact_every_days = models.PositiveSmallIntegerField(_("contact at least every (days)"))
    visit_every_days = models.PositiveSmallIntegerField(
        _("on-site visit at least every (days)"),
        null=True,
        blank=True,
        help_text=_("Empty: no regular on-site visits."),
    )
    review_every = models.CharField(
        _("business review"), max_length=20, choices=ReviewFrequency.choices
    )
    rebate_multiplier = models.DecimalField(_("rebate multiplier"), max_digits=4, decimal_places=2)
    issue_sla_days = models.PositiveSmallIntegerField(_("issue SLA (calendar days)"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("tier policy")
        verbose_name_plural = _("tier policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(contact_every_days__gte=1, contact_every_days__lte=366),
                name="policy_contact_days_in_range",
            ),
            models.CheckConstraint(
                condition=Q(visit_every_days__isnull=True)
                | Q(visit_every_days__gte=1, visit_every_days__lte=366),
                name="policy_visit_days_in_range",
            ),
            models.CheckConstraint(
                condition=Q(rebate_multiplier__gt=0), name="policy_multiplier_gt_0"
            ),
            models.CheckConstraint(condition=Q(issue_sla_days__gte=1), name="policy_sla_gte_1"),
        ]

    def __str__(self) -> str:
        return str(self.get_tier_display())

    def cadence_days(self, kind: str) -> int | None:
        """Days between two contacts or two visits; None when the tier has no such task."""
        return self.contact_every_days if kind == TaskKind.CONTACT else self.visit_every_days


class Interaction(models.Model):
    """A call, on-site visit, online meeting, market update or other contact with a partner.
    Logging one completes the maintenance tasks it satisfies and plans the next ones."""

    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="interactions",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=InteractionKind.choices)
    channel = models.CharField(
        _("channel"), max_length=20, choices=InteractionChannel.choices, blank=True
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("our people"), related_name="+", blank=True
    )
    contacts = models.ManyToManyField(
        "partners.Contact", verbose_name=_("partner contacts"), related_name="+", blank=True
    )
    summary = models.TextField(_("summary"), max_length=5000)
    next_steps = models.TextField(_("next steps"), max_length=2000, blank=True)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
    )
    logged_at = models.DateTimeField(_("logged at"), auto_now_add=True)

    objects = InteractionQuerySet.as_manager()

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["partner", "-occurred_at"], name="interaction_partner_time"),
            models.Index(
                fields=["follow_up_on"],
                name="interaction_follow_up",
                condition=Q(follow_up_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("maintenance:interaction_detail", args=[self.pk])

    @property
    def is_visit(self) -> bool:
        return self.kind == InteractionKind.VISIT


class Attachment(models.Model):
    """A file kept with a record: its type judged by its first bytes and its size checked
    by `services.check_attachment`. Subclasses add the record and the `file` field."""

    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class InteractionAttachment(Attachment):
    """A visit photo, minutes or other file of an interaction."""

    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="interactions/%Y/%m/")

    class Meta(Attachment.Meta):
        pass

    def get_absolute_url(self) -> str:
        return reverse("maintenance:attachment_download", args=[self.pk])


class MaintenanceTask(models.Model):
    """Something to do for a partner by a date. The next contact and the next on-site visit
    are planned from the tier policy — at most one open of each per partner — counting from
    `planned_from` (the last qualifying interaction); people add ad-hoc tasks."""

    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="maintenance_tasks",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TaskKind.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    due_on = models.DateField(_("due on"))
    planned_from = models.DateField(_("counted from"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        related_name="maintenance_tasks",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    interaction = models.ForeignKey(
        Interaction,
        verbose_name=_("completed by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    history = HistoricalRecords()
    objects = MaintenanceTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("maintenance task")
        verbose_name_plural = _("maintenance tasks")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "kind"],
                condition=Q(status=TaskStatus.OPEN, kind__in=PLANNED_TASK_KINDS),
                name="task_one_open_planned_per_partner_kind",
            ),
            models.CheckConstraint(
                condition=~Q(kind=TaskKind.ADHOC) | ~Q(title=""), name="task_adhoc_has_title"
            ),
            models.CheckConstraint(
                condition=Q(status=TaskStatus.DONE, completed_on__isnull=False)
                | (~Q(status=TaskStatus.DONE) & Q(completed_on__isnull=True)),
                name="task_done_has_completion_date",
            ),
        ]
        indexes = [
            models.Index(fields=["assignee", "status", "due_on"], name="task_assignee_due"),
            models.Index(fields=["status", "due_on"], name="task_status_due"),
            models.Index(fields=["partner", "status"], name="task_partner_status"),
        ]

    def __str__(self) -> str:
        return f"{self.label} · {self.due_on}"

    @property
    def label(self) -> str:
        return self.title or str(self.get_kind_display())

    @property
    def is_done_on_time(self) -> bool | None:
        if self.completed_on is None:
            return None
        return self.completed_on <= self.due_on
