"""The Celery application. Workers and beat both start from here."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channelhub.settings")

app = Celery("channelhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
