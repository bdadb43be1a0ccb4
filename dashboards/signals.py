"""Single-row saves and deletes that change a partner's summaries queue that partner (bulk
paths — imports, task generation, rebate approval — queue theirs explicitly)."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from incentives.models import RebateStatement
from maintenance.models import Interaction, MaintenanceTask
from partners.models import Partner, TierChange
from reviews.models import BusinessReview
from sales.models import SalesLine, SalesTarget

from .services import queue_partners

PARTNER_ROWS = (
    TierChange,
    Interaction,
    MaintenanceTask,
    BusinessReview,
    SalesLine,
    SalesTarget,
    RebateStatement,
)


@receiver(post_save, sender=Partner)
def partner_saved(sender: Any, instance: Partner, **kwargs: Any) -> None:
    queue_partners([instance.pk])


def _row_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    queue_partners([instance.partner_id])


for model in PARTNER_ROWS:
    post_save.connect(_row_changed, sender=model, dispatch_uid=f"summary-{model.__name__}")
    post_delete.connect(_row_changed, sender=model, dispatch_uid=f"summary-del-{model.__name__}")
