from celery import shared_task

from .services import run_rebates


@shared_task(ignore_result=True)
def run_rebates_task(run_id: int) -> int:
    """Compute one rebate run (queued by `services.start_run`)."""
    return run_rebates(run_id).done
