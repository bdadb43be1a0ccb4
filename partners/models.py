"""The partner archive (渠道档案, product.md §2)."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import (
    PartnerStatus,
    PartnerType,
    Province,
    RevenueBand,
    TerminationReason,
    Tier,
    TimelineKind,
)
from .querysets import ContactQuerySet, PartnerEventQuerySet, PartnerQuerySet


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Partner(models.Model):
    """A channel partner company: distributor, reseller, agent, retailer or service partner."""

    code = models.CharField(
        _("partner code"),
        max_length=30,
        unique=True,
        help_text=_("Leave empty to have one assigned (P000123)."),
    )
    legal_name = models.CharField(_("legal name"), max_length=200, unique=True)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    partner_type = models.CharField(_("partner type"), max_length=20, choices=PartnerType.choices)
    province = models.CharField(_("province"), max_length=2, choices=Province.choices)
    city = models.CharField(_("city"), max_length=60, blank=True)
    coverage = models.JSONField(
        _("coverage"),
        default=list,
        blank=True,
        encoder=DjangoJSONEncoder,
        help_text=_("The provinces the partner covers."),
    )
    revenue_band = models.CharField(
        _("annual revenue"), max_length=10, choices=RevenueBand.choices, blank=True
    )
    headcount = models.PositiveIntegerField(_("headcount"), null=True, blank=True)
    cooperation_start_date = models.DateField(
        _("cooperation start date"), default=timezone.localdate
    )
    contract_end_date = models.DateField(_("contract end date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_partners",
        null=True,
        blank=True,
    )
    specialists = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supporting specialists"),
        related_name="supported_partners",
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=20, choices=PartnerStatus.choices, default=PartnerStatus.ACTIVE
    )
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True)
    termination_reason = models.CharField(
        _("termination reason"), max_length=20, choices=TerminationReason.choices, blank=True
    )
    termination_note = models.TextField(_("termination note"), blank=True)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, default=Tier.POTENTIAL)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), related_name="partners", blank=True)
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[specialists, tags])
    objects = PartnerQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["legal_name"]
        permissions = [
            ("terminate_partner", _("Can terminate and reactivate partners")),
            ("change_partner_tier", _("Can change a partner's tier")),
            ("assign_partner_owner", _("Can assign a partner's owner")),
            ("assign_partner_specialists", _("Can assign a partner's supporting specialists")),
            ("import_partner", _("Can import partners")),
            ("export_partner", _("Can export partners")),
        ]
        indexes = [
            models.Index(fields=["owner", "status"], name="partner_owner_status"),
            models.Index(fields=["tier", "status"], name="partner_tier_status"),
            models.Index(fields=["province"], name="partner_province"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(status=PartnerStatus.TERMINATED, terminated_on__isnull=False)
                    & ~Q(termination_reason="")
                )
                | (
                    ~Q(status=PartnerStatus.TERMINATED)
                    & Q(terminated_on__isnull=True, termination_reason="")
                ),
                name="partner_termination_iff_terminated",
            ),
            models.CheckConstraint(
                condition=Q(contract_end_date__isnull=True)
                | Q(contract_end_date__gte=models.F("cooperation_start_date")),
                name="partner_contract_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.short_name or self.legal_name

    def get_absolute_url(self) -> str:
        return reverse("partners:partner_detail", args=[self.pk])

    @property
    def is_terminated(self) -> bool:
        return self.status == PartnerStatus.TERMINATED

    @property
    def primary_contact(self) -> Contact | None:
        """The primary contact; uses the list prefetch when it is there."""
        if hasattr(self, "primary_contacts"):
            return self.primary_contacts[0] if self.primary_contacts else None
        return self.contacts.filter(is_primary=True).first()

    def coverage_labels(self) -> list[str]:
        labels = dict(Province.choices)
        return [str(labels.get(code, code)) for code in self.coverage]


class Contact(models.Model):
    """A person at a partner company. Each partner has at most one primary contact."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()
    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner"],
                condition=Q(is_primary=True),
                name="contact_one_primary_per_partner",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("partners:partner_detail", args=[self.partner_id])


class TierChange(models.Model):
    """One entry of a partner's tier history. Never edited: a correction is a new change."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="tier_changes"
    )
    from_tier = models.CharField(_("from tier"), max_length=20, choices=Tier.choices, blank=True)
    to_tier = models.CharField(_("to tier"), max_length=20, choices=Tier.choices)
    effective_on = models.DateField(_("effective on"))
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-effective_on", "-created_at"]
        indexes = [
            models.Index(fields=["partner", "-effective_on"], name="tierchange_partner"),
            models.Index(fields=["created_at"], name="tierchange_recorded"),  # the digest
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.from_tier or '—'} → {self.to_tier} ({self.effective_on})"


class PartnerEvent(models.Model):
    """One entry on a partner's timeline. Written by services; rendered per `kind` by the
    template ``partners/timeline/_<kind>.html`` in the reader's language."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=40, choices=TimelineKind.choices)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = PartnerEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["partner", "-occurred_at"], name="event_partner_time")]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.kind} {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def template_name(self) -> str:
        return f"partners/timeline/_{self.kind}.html"


class ImportBatch(models.Model):
    """An uploaded partner file, kept in the database between preview and confirmation so
    that any web process can finish it."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed")
        INVALID = "invalid", _("Has errors")
        IMPORTED = "imported", _("Imported")

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT
    )
    file_name = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("content"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    partner_count = models.PositiveIntegerField(_("partners"), default=0)
    contact_count = models.PositiveIntegerField(_("contacts"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("partner import")
        verbose_name_plural = _("partner imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"
