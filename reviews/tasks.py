from celery import shared_task
from django.utils import timezone

from .services import ensure_quarter_plan


@shared_task(ignore_result=True)
def plan_reviews_task() -> int:
    """Daily (beat): plans the quarter's business reviews on its first day, or on the first
    day beat runs after it; nothing on the other days."""
    return ensure_quarter_plan(timezone.localdate())
