from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import Counter, Heartbeat

CELERY_HEARTBEAT = "celery"


def record_heartbeat(name: str = CELERY_HEARTBEAT, *, at: datetime | None = None) -> Heartbeat:
    """Stamp that `name` (a worker reached through beat, the reminder sweep) is alive now:
    one UPDATE, an INSERT the first time."""
    beat_at = at or timezone.now()
    if not Heartbeat.objects.filter(name=name).update(beat_at=beat_at):
        Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": beat_at})
    return Heartbeat(name=name, beat_at=beat_at)


def reserve_numbers(name: str, count: int = 1) -> range:
    """Reserve `count` consecutive numbers of the series `name`; safe under concurrency.

    Runs inside the caller's transaction when there is one, so a rollback returns them.
    """
    with transaction.atomic():
        Counter.objects.get_or_create(name=name)
        counter = Counter.objects.select_for_update().get(name=name)
        first = counter.value + 1
        Counter.objects.filter(pk=counter.pk).update(value=F("value") + count)
    return range(first, first + count)
