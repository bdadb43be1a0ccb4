"""One wiring test through a real Celery worker and Redis: beat's heartbeat task, sent to the
broker, is run by a worker process that writes to the test database."""

import time

import pytest
from django.conf import settings

from channelhub.models import Heartbeat
from channelhub.tasks import record_heartbeat_task

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_task_sent_through_redis_is_run_by_a_worker(worker):
    assert settings.CELERY_BROKER_URL.startswith("redis://")

    record_heartbeat_task.apply_async(queue=worker)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not Heartbeat.objects.exists():
        time.sleep(0.2)
    assert Heartbeat.objects.get().name == "celery"
