"""Reminders (product.md §5): one digest per recipient per day, recorded before it is sent,
and an optional group-bot message per team per day. Both rows are the outbox: the unique
key (recipient or team, day) is what makes a second copy impossible."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from channelhub.lib.fields import HttpsURLField

from .choices import DeliveryStatus, ReminderKind, WebhookKind

DEFAULT_SEND_HOUR = 8


class ReminderPreference(models.Model):
    """What a person wants in their daily digest, and when (their local hour)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preference"
    )
    email_enabled = models.BooleanField(_("send me the daily email"), default=True)
    send_hour = models.PositiveSmallIntegerField(
        _("send it at (hour)"), default=DEFAULT_SEND_HOUR, help_text=_("0–23, company time.")
    )
    disabled_kinds = models.JSONField(_("items I do not want"), default=list, blank=True)

    class Meta:
        verbose_name = _("reminder preference")
        verbose_name_plural = _("reminder preferences")
        constraints = [
            models.CheckConstraint(
                condition=Q(send_hour__gte=0, send_hour__lte=23), name="preference_hour_0_23"
            )
        ]

    def __str__(self) -> str:
        return str(self.user)

    def wants(self, kind: str) -> bool:
        return kind not in self.disabled_kinds


class Team(models.Model):
    """A group of channel staff; its group chat may get the team's daily reminders through a
    WeCom or DingTalk group bot."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="teams", blank=True
    )
    webhook_kind = models.CharField(
        _("group bot"), max_length=20, choices=WebhookKind.choices, blank=True
    )
    webhook_url = HttpsURLField(
        _("webhook address"),
        max_length=500,
        blank=True,
        help_text=_("The group bot's webhook address, from the group's settings."),
    )

    history = HistoricalRecords(m2m_fields=[members])

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def member_ids(cls) -> dict[int, list[int]]:
        """{team id: its members' user ids}, in one query (for per-team KPIs)."""
        members: dict[int, list[int]] = {}
        for team_id, user_id in cls.members.through.objects.values_list("team_id", "user_id"):
            members.setdefault(team_id, []).append(user_id)
        return members


class Delivery(models.Model):
    """What the sender needs of an outbox row: a claim by conditional UPDATE, retries with
    backoff, and a failure that stays visible."""

    for_date = models.DateField(_("for the day"))
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        abstract = True


class Digest(Delivery):
    """A recipient's reminders of one day, built by the sweep and then sent. `items` is the
    list of {kind, key, ...} it shows (keys unique within it; the first
    `items.SHOWN_PER_KIND` of each kind), `totals` how many there are of each kind."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="digests",
    )
    items = models.JSONField(_("items"), default=list, encoder=DjangoJSONEncoder)
    totals = models.JSONField(_("items of each kind"), default=dict)
    covers_from = models.DateField(_("events since"))

    class Meta:
        verbose_name = _("reminder digest")
        verbose_name_plural = _("reminder digests")
        ordering = ["-for_date", "recipient"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "for_date"], name="digest_once_a_day")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="digest_due")]

    def __str__(self) -> str:
        return f"{self.recipient} {self.for_date}"

    def item_count(self, kind: ReminderKind | str) -> int:
        return int(self.totals.get(kind, 0))


class ReminderReceipt(models.Model):
    """An event a recipient's digest has announced: items marked `once` (a low survey score,
    an issue near or past its SLA) are announced in the first digest built after they
    happen — whatever time of day — and never again, by this unique key."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=200)
    for_date = models.DateField()

    class Meta:
        verbose_name = _("announced reminder")
        verbose_name_plural = _("announced reminders")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="receipt_once_per_recipient")
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.key}"


class TeamMessage(Delivery):
    """A team's reminders of one day for its group bot."""

    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="messages"
    )
    text = models.TextField(_("message"))

    class Meta:
        verbose_name = _("group bot message")
        verbose_name_plural = _("group bot messages")
        ordering = ["-for_date", "team"]
        constraints = [
            models.UniqueConstraint(fields=["team", "for_date"], name="team_message_once_a_day")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="team_message_due")]

    def __str__(self) -> str:
        return f"{self.team} {self.for_date}"
