"""Closed-loop issue handling (问题闭环) and the knowledge base (知识库): partner issues
tracked to resolution within their tier's SLA, their comments and files, and the cases the
team writes up from them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from maintenance.models import Attachment
from partners.choices import Tier

from .choices import CloseReason, IssueCategory, IssuePriority, IssueStatus
from .querysets import ArticleQuerySet, IssueCommentQuerySet, IssueQuerySet


def _user(label: Any, related_name: str = "+", **options: Any) -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=label,
        on_delete=models.SET_NULL,
        related_name=related_name,
        null=True,
        blank=True,
        **options,
    )


class PartnerIssue(models.Model):
    """A partner's problem, from opening to closure. The SLA (the tier policy's days × 24 h)
    is fixed at opening; `due_at` moves later by the time spent waiting on the partner."""

    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="issues",
    )
    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=IssueCategory.choices)
    priority = models.CharField(
        _("priority"), max_length=20, choices=IssuePriority.choices, default=IssuePriority.NORMAL
    )
    description = models.TextField(_("description"), max_length=10000)
    contact = models.ForeignKey(
        "partners.Contact",
        verbose_name=_("reported by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=20, choices=IssueStatus.choices, default=IssueStatus.NEW
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        related_name="assigned_issues",
        null=True,
        blank=True,
    )
    opened_by = _user(_("opened by"))
    manager = _user(_("manager"), help_text=_("The partner's owner when the issue was opened."))
    tier = models.CharField(_("tier when opened"), max_length=20, choices=Tier.choices)
    created_at = models.DateTimeField(_("opened at"), default=timezone.now)
    # The SLA clock.
    sla_days = models.PositiveSmallIntegerField(_("SLA (days)"))
    sla_due_at = models.DateTimeField(_("SLA due at opening"))
    due_at = models.DateTimeField(_("due"))
    paused_since = models.DateTimeField(null=True, blank=True, editable=False)
    paused_seconds = models.PositiveIntegerField(_("time waiting on the partner (s)"), default=0)
    # What happened.
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = _user(_("resolved by"))
    resolution = models.TextField(_("resolution"), max_length=10000, blank=True)
    resolution_seconds = models.PositiveIntegerField(
        _("time to resolve (s)"), null=True, blank=True
    )
    sla_met = models.BooleanField(_("SLA met"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(
        _("closed because"), max_length=20, choices=CloseReason.choices, blank=True
    )
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    history = HistoricalRecords()
    objects = IssueQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner issue")
        verbose_name_plural = _("partner issues")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(sla_days__gte=1), name="issue_sla_days_gte_1"),
            models.CheckConstraint(
                condition=~Q(status__in=[IssueStatus.RESOLVED, IssueStatus.CLOSED])
                | Q(resolved_at__isnull=False, sla_met__isnull=False),
                name="issue_resolved_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=IssueStatus.CLOSED) | Q(closed_at__isnull=False),
                name="issue_closed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(due_at__gte=models.F("sla_due_at")), name="issue_due_not_earlier"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="issue_status_due"),
            models.Index(fields=["assignee", "status"], name="issue_assignee_status"),
            models.Index(fields=["partner", "-created_at"], name="issue_partner_time"),
            models.Index(fields=["created_at"], name="issue_created"),
            models.Index(fields=["resolved_at"], name="issue_resolved"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("support:issue_detail", args=[self.pk])

    def remaining(self, now: datetime | None = None) -> timedelta:
        """SLA time left (negative: past it). Frozen while the clock is paused."""
        now = now or timezone.now()
        at = self.paused_since if self.paused_since is not None else now
        return self.due_at - at

    @property
    def hours_left(self) -> int:
        return int(self.remaining().total_seconds() // 3600)

    @property
    def is_breached(self) -> bool:
        if self.sla_met is not None:
            return not self.sla_met
        return self.remaining() < timedelta(0)

    @property
    def first_response_seconds(self) -> int | None:
        if self.first_response_at is None:
            return None
        return int((self.first_response_at - self.created_at).total_seconds())


class IssueComment(models.Model):
    """A note on an issue: internal (our people only) or shared with the partner."""

    issue = models.ForeignKey(PartnerIssue, on_delete=models.CASCADE, related_name="comments")
    author = _user(_("by"))
    body = models.TextField(_("comment"), max_length=5000)
    is_internal = models.BooleanField(
        _("internal"), default=True, help_text=_("Internal notes are never shown to the partner.")
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    objects = IssueCommentQuerySet.as_manager()

    class Meta:
        verbose_name = _("issue comment")
        verbose_name_plural = _("issue comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:50]


class IssueAttachment(Attachment):
    """A photo, screenshot or document of an issue."""

    issue = models.ForeignKey(PartnerIssue, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="issues/%Y/%m/")
    uploaded_by = _user(_("uploaded by"))

    class Meta(Attachment.Meta):
        pass

    def get_absolute_url(self) -> str:
        return reverse("support:attachment_download", args=[self.pk])


class Article(models.Model):
    """A case in the knowledge base: a problem and its solution (Markdown, rendered without
    raw HTML), with tags, the issue categories it helps with and the issues it came from."""

    title = models.CharField(_("title"), max_length=200)
    problem = models.TextField(_("problem"), max_length=10000)
    solution = models.TextField(_("solution"), max_length=20000)
    tags = models.CharField(
        _("tags"), max_length=300, blank=True, help_text=_("Separated by commas.")
    )
    categories = models.JSONField(_("issue categories"), default=list, blank=True)
    issues = models.ManyToManyField(
        PartnerIssue, verbose_name=_("linked issues"), related_name="articles", blank=True
    )
    search_text = models.TextField(editable=False, default="")
    created_by = _user(_("written by"))
    updated_by = _user(_("last edited by"))
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("edited at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["search_text"])
    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("support:article_detail", args=[self.pk])

    @property
    def tag_list(self) -> list[str]:
        return [tag.strip() for tag in self.tags.split(",") if tag.strip()]

    def build_search_text(self) -> str:
        return "\n".join([self.title, self.tags, self.problem, self.solution]).lower()
