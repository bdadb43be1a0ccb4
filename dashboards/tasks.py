from celery import shared_task

from .services import drain_queue
from .summary import rebuild


@shared_task(ignore_result=True)
def refresh_summaries_task() -> int:
    """Recompute the summaries of the partners changes queued (see services.queue_partners)."""
    return drain_queue()


@shared_task(ignore_result=True)
def rebuild_summaries_task() -> int:
    """Every night: every partner's summaries, and the new month's rows."""
    return rebuild()
