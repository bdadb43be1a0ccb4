"""Log hygiene: secrets in addresses (a survey link's `?t=` token) never reach a log line,
whatever logs them — Django's request and server loggers, a failed task's arguments."""

from __future__ import annotations

import logging
import re

SECRET_IN_ADDRESS = re.compile(r"([?&]t=)[^&\s\"']+")


def redact(text: str) -> str:
    return SECRET_IN_ADDRESS.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    """On the handlers: rewrites the record's message with the secrets blanked out."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
