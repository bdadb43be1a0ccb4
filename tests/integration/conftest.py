"""A real Celery worker process on its own queue, against Redis and the test database."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection


def process_env(**extra: str) -> dict[str, str]:
    """The environment of a child process that works on the test database."""
    database = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
        ),
        "CHANNELHUB_ENV_FILE": "/nonexistent/.env",
        **extra,
    }


@pytest.fixture
def mail_dir(tmp_path):
    """Where child processes write the emails they send (Django's file backend)."""
    folder = tmp_path / "mail"
    folder.mkdir()
    return folder


def sent_messages(folder: Path) -> list[str]:
    text = "".join(path.read_text() for path in folder.iterdir())
    return [part for part in text.split("-" * 79) if "Subject:" in part]


@pytest.fixture
def worker(mail_dir):
    queue = f"wiring-{uuid.uuid4().hex[:8]}"
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
        # "filemail:///" + an absolute path: django-environ drops one leading slash
        env=process_env(EMAIL_URL=f"filemail:///{mail_dir}"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    yield queue
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
