from celery import shared_task

from .services import send_pending, sweep


@shared_task(ignore_result=True)
def sweep_reminders_task() -> int:
    """Hourly (beat): record the digests whose hour has come; the sender task sends them."""
    return sweep()["digests"]


@shared_task(ignore_result=True)
def send_reminders_task() -> int:
    """Every few minutes (beat): send what is due, retries included."""
    return send_pending()["sent"]
