from celery import shared_task
from django.utils import timezone

from .services import apply_due_proposals, ensure_quarter_evaluation, run_evaluation


@shared_task(ignore_result=True)
def evaluate_task(run_id: int) -> int:
    """Score every partner for one evaluation run (queued by `services.start_run`)."""
    return run_evaluation(run_id).scored


@shared_task(ignore_result=True)
def quarterly_evaluation_task() -> int:
    """Daily (beat): start the quarter's evaluation once; apply approved changes due."""
    today = timezone.localdate()
    ensure_quarter_evaluation(today)
    return apply_due_proposals(today)
