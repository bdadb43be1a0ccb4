from celery import shared_task

from .services import drain_queue
from .summary import rebuild


@shared_task(ignore_result=True)
def refresh_summaries_task() -> int:
    """Recompute the summaries of the partners changes queued (see services.queue_partners)."""
    return drain_queue()


@shared_task(ignore_result=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=60)
def rebuild_summaries_task() -> int:
    """Every night just after midnight: every partner's summaries, with the new day's and
    the new month's rows (until it is through, the pages say the current period's figures
    may be incomplete)."""
    return rebuild()
