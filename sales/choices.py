from django.db import models
from django.utils.translation import gettext_lazy as _


class DocType(models.TextChoices):
    """The sign of a sales line comes from its document type only (rebates.md §1)."""

    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    FAILED = "failed", _("Failed")
    INVALID = "invalid", _("Has errors")
    IMPORTED = "imported", _("Imported")
