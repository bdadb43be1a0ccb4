"""One wiring test through a real Celery worker and Redis: beat's heartbeat task, sent to the
broker, is run by a worker process that writes to the test database."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from channelhub.models import Heartbeat
from channelhub.tasks import record_heartbeat_task

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker():
    queue = f"wiring-{uuid.uuid4().hex[:8]}"
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
        ),
        "CHANNELHUB_ENV_FILE": "/nonexistent/.env",
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "channelhub",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    yield queue
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def test_a_task_sent_through_redis_is_run_by_a_worker(worker):
    assert settings.CELERY_BROKER_URL.startswith("redis://")

    record_heartbeat_task.apply_async(queue=worker)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not Heartbeat.objects.exists():
        time.sleep(0.2)
    assert Heartbeat.objects.get().name == "celery"
