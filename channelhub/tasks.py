from celery import shared_task

from .services import record_heartbeat


@shared_task(ignore_result=True)
def record_heartbeat_task() -> int:
    """Beat → broker → worker → database: /healthz reads how long ago this last ran."""
    record_heartbeat()
    return 1
