"""Model fields shared by the apps."""

from __future__ import annotations

import json
from typing import Any

from django.db import models


class JSONTextField(models.TextField):
    """A JSON value kept as text, not `jsonb`: for write-heavy tables whose JSON is only
    read back whole, never queried inside. PostgreSQL parses every `jsonb` value it is
    given into its binary form; for the hundreds of thousands a batch job writes with COPY
    that parsing costs the database more than the rest of the row. Reads and writes the
    Python value, as `JSONField` does (a str is a JSON string); no value is NULL, refused by
    the column, not an empty text."""

    empty_strings_allowed = False

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else json.loads(value)

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> Any:
        return None if value is None else json.dumps(value, ensure_ascii=False)

    def value_to_string(self, obj: models.Model) -> Any:
        return self.value_from_object(obj)


class HttpsURLField(models.URLField):
    """A URL whose forms take an address typed without a scheme as https (Django 6's default;
    Django 5.2 warns on every form built without saying so). Stored as a plain URLField."""

    def formfield(  # type: ignore[override]
        self, **kwargs: Any
    ) -> Any:
        return super().formfield(**{"assume_scheme": "https", **kwargs})

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.URLField", args, kwargs
