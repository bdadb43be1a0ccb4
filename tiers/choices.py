from django.db import models
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Direction(models.TextChoices):
    UP = "up", _("Promotion")
    DOWN = "down", _("Demotion")


class ProposalStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a decision")
    APPROVED = "approved", _("Approved, takes effect later")
    APPLIED = "applied", _("Approved and applied")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded by a newer run")


class Criterion(models.TextChoices):
    """The criteria of the tier score (`tiers.criteria` documents each formula)."""

    NET_SALES = "net_sales", _("Net sales")
    GROWTH = "growth", _("Growth")
    TARGET = "target", _("Target achievement")
    COVERAGE = "coverage", _("Geographic coverage")
    DEPTH = "depth", _("Cooperation depth")
    ACTIVITY = "activity", _("Activity")
    REVIEWS = "reviews", _("Business review scores")
    SATISFACTION = "satisfaction", _("Satisfaction")
    SERVICE = "service", _("Service level")
