from django.db import models
from django.utils.translation import gettext_lazy as _


class IssueCategory(models.TextChoices):
    PRODUCT = "product", _("Product")
    DELIVERY = "delivery", _("Delivery")
    PRICING = "pricing", _("Pricing")
    POLICY = "policy", _("Policy")
    REBATE = "rebate", _("Rebate")
    SYSTEM = "system", _("System")
    COMPLAINT = "complaint", _("Complaint")
    OTHER = "other", _("Other")


class IssuePriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class IssueStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting on partner")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")


# The SLA clock runs in these; it pauses while waiting on the partner and once resolved.
CLOCK_RUNNING = (IssueStatus.NEW, IssueStatus.IN_PROGRESS, IssueStatus.REOPENED)
UNRESOLVED = (*CLOCK_RUNNING, IssueStatus.WAITING)


class CloseReason(models.TextChoices):
    CONFIRMED = "confirmed", _("Partner confirmed")
    AUTOMATIC = "automatic", _("7 days after resolution")


class IssueGrouping(models.TextChoices):
    TIER = "tier", _("Tier")
    CATEGORY = "category", _("Category")
    MANAGER = "manager", _("Manager")
    ASSIGNEE = "assignee", _("Assignee")
