from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from .models import Heartbeat
from .services import CELERY_HEARTBEAT

HEARTBEAT_STALE_AFTER_SECONDS = 5 * 60
SWEEP_OVERDUE_AFTER_SECONDS = 60 * 60  # beat runs the reminder sweep every 15 minutes
SWEEP_HEARTBEAT = "reminder-sweep"


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _broker_ok() -> bool:
    if not settings.REDIS_URL:
        return True  # the filesystem broker has nothing to be down
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def _age_seconds(name: str) -> int | None:
    heartbeat = Heartbeat.objects.filter(name=name).first()
    return round((timezone.now() - heartbeat.beat_at).total_seconds()) if heartbeat else None


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, broker, the age of the last worker heartbeat and of the last reminder sweep;
    503 if a dependency is down or the sweep is overdue."""
    database_ok = _database_ok()
    heartbeat_age = _age_seconds(CELERY_HEARTBEAT) if database_ok else None
    sweep_age = _age_seconds(SWEEP_HEARTBEAT) if database_ok else None
    sweep_overdue = sweep_age is not None and sweep_age > SWEEP_OVERDUE_AFTER_SECONDS
    broker_ok = _broker_ok()
    body = {
        "database": "ok" if database_ok else "down",
        "broker": "ok" if broker_ok else "down",
        "worker_heartbeat_age_seconds": heartbeat_age,
        "worker": (
            "ok"
            if heartbeat_age is not None and heartbeat_age < HEARTBEAT_STALE_AFTER_SECONDS
            else "stale"
        ),
        "reminder_sweep_age_seconds": sweep_age,
        "reminder_sweep": "never" if sweep_age is None else "overdue" if sweep_overdue else "ok",
    }
    healthy = database_ok and broker_ok and not sweep_overdue
    return JsonResponse(body, status=200 if healthy else 503)
