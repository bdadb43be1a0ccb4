from celery import shared_task
from django.utils import timezone

from .services import reconcile_all


@shared_task(ignore_result=True)
def reconcile_maintenance_task() -> int:
    """Nightly (beat): the safety net behind the writes that keep maintenance tasks current."""
    return reconcile_all(today=timezone.localdate())
