from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class ChannelHubConfig(AppConfig):
    name = "channelhub"
    verbose_name = "ChannelHub"

    def ready(self) -> None:
        # The filesystem broker (the embedded default) needs its folders before the web
        # process publishes or a worker consumes the first message.
        if settings.CELERY_BROKER_URL == "filesystem://":
            for folder in settings.CELERY_BROKER_TRANSPORT_OPTIONS.values():
                if isinstance(folder, str):
                    Path(folder).mkdir(parents=True, exist_ok=True)
