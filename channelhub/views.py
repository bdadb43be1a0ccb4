from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from .models import Heartbeat
from .services import CELERY_HEARTBEAT

HEARTBEAT_STALE_AFTER_SECONDS = 5 * 60


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


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, broker and the age of the last worker heartbeat; 503 if a dependency is down."""
    database_ok = _database_ok()
    heartbeat = Heartbeat.objects.filter(name=CELERY_HEARTBEAT).first() if database_ok else None
    heartbeat_age = (
        round((timezone.now() - heartbeat.beat_at).total_seconds()) if heartbeat else None
    )
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
    }
    return JsonResponse(body, status=200 if database_ok and broker_ok else 503)
