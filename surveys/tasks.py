from celery import shared_task

from .services import run_surveys


@shared_task(ignore_result=True)
def run_surveys_task() -> int:
    """Hourly (beat): create the month's surveys once they are due and send what waits."""
    return run_surveys()["sent"]
