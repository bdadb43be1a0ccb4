from celery import shared_task

from .services import run_queued_import


@shared_task(ignore_result=True, acks_late=True)
def run_sales_import(batch_id: int, language: str | None = None) -> None:
    """Import an uploaded sales file (see `services.queue_sales_import`)."""
    run_queued_import(batch_id, language)
