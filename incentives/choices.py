from django.db import models
from django.utils.translation import gettext_lazy as _


class ProgramStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    RETIRED = "retired", _("Retired")


class RunKind(models.TextChoices):
    ACCRUAL = "accrual", _("Accrual (period to date)")
    FINAL = "final", _("Final")


class StatementStatus(models.TextChoices):
    DRAFT = "draft", _("To review")
    APPROVED = "approved", _("Approved")


class SettlementKind(models.TextChoices):
    PAYOUT = "payout", _("Payout")
    CLAWBACK = "clawback", _("Claw-back")


class PayoutStatus(models.TextChoices):
    NOTHING = "nothing", _("Nothing to pay")
    PENDING = "pending", _("Pending")
    PAID = "paid", _("Paid")


REASONS = {
    "ok": _("Rebate earned"),
    "tier_not_eligible": _("The partner's tier is not eligible"),
    "not_active": _("The partner joined after the window"),
    "no_positive_sales": _("No positive sales in the window"),
    "below_minimum": _("Below the minimum"),
    "no_base": _("No base to compare with (no prior sales or no target)"),
    "below_first_tier": _("Below the first tier"),
}
