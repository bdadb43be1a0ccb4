"""Fast inserts of many model instances, with their history rows.

On PostgreSQL the rows go in with COPY (ids drawn from the table's sequence first, so
children can point at their parents in the same batch): several times faster than
`bulk_create`, whose cost is mostly Python compiling one huge INSERT. Elsewhere (SQLite,
the embedded default) `bulk_create` does the job."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db import connection, models
from django.utils import timezone

from .fields import JSONTextField

ModelT = TypeVar("ModelT", bound=models.Model)


def id_ranges(low: int, high: int, size: int) -> Iterator[tuple[int, int]]:
    """Consecutive inclusive id ranges of `size` from `low` to past `high`: the batches a
    job over many rows works in."""
    start = low
    while start <= high:
        yield start, start + size - 1
        start += size


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _db_value(field: models.Field, instance: models.Model, now: datetime) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        setattr(instance, field.attname, now)
    value = getattr(instance, field.attname)
    if isinstance(field, models.JSONField):
        return json.dumps(value, cls=field.encoder, ensure_ascii=False)  # COPY parses the text
    if isinstance(field, JSONTextField):
        return field.get_prep_value(value)
    return value


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` new primary keys drawn from the table's sequence (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def insert_rows(
    model: type[ModelT], instances: Sequence[ModelT], *, batch_size: int = 2000
) -> Sequence[ModelT]:
    """Insert new instances and give them their primary keys. No signals, no save()."""
    if not instances:
        return instances
    if not _is_postgresql():
        return model._default_manager.bulk_create(instances, batch_size=batch_size)
    for instance, pk in zip(instances, reserve_ids(model, len(instances)), strict=True):
        instance.pk = pk
        instance._state.adding = False
        instance._state.db = connection.alias
    fields = model._meta.concrete_fields
    now = timezone.now()
    _copy(
        model._meta.db_table,
        [field.column for field in fields],
        ([_db_value(field, instance, now) for field in fields] for instance in instances),
    )
    return instances


def insert_values(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    with_ids: bool = True,
) -> list[int]:
    """Insert plain rows (values for `columns`, attribute names; JSON values already dumped
    to text) and return their new primary keys, in order. No model instances: for the
    hundreds of thousands of rows a batch job writes, building instances costs more than
    the COPY. Elsewhere than PostgreSQL, `bulk_create`. Without `with_ids` the table gives
    the keys (none are returned): drawing them first costs a round of `nextval` per row."""
    if not rows:
        return []
    if not _is_postgresql():
        instances = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        for instance in instances:  # bulk_create would encode the JSON text again
            for field in model._meta.concrete_fields:
                if isinstance(field, models.JSONField | JSONTextField) and field.attname in columns:
                    setattr(instance, field.attname, json.loads(getattr(instance, field.attname)))
        return [instance.pk for instance in model._default_manager.bulk_create(instances)]
    by_attname = {field.attname: field.column for field in model._meta.concrete_fields}
    names = [by_attname[name] for name in columns]
    if not with_ids:
        _copy(model._meta.db_table, names, rows)
        return []
    ids = reserve_ids(model, len(rows))
    _copy(model._meta.db_table, [by_attname[model._meta.pk.attname], *names],
               ([pk, *row] for pk, row in zip(ids, rows, strict=True)))  # fmt: skip
    return ids


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: Any) -> str:
    """A value in COPY's text format (psycopg's `write_row` does this through a dumper per
    value, at several times the cost for plain numbers, dates and short text)."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    return str(value)


def copy_text(value: str) -> str:
    """A string in COPY's text format."""
    return value.translate(_ESCAPES)


def _copy(table: str, columns: list[str], rows: Any) -> None:
    _copy_lines(table, columns, ("\t".join(map(_text, row)) for row in rows))


def _copy_lines(table: str, columns: list[str], lines: Iterable[str], block: int = 5000) -> None:
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN"
        ) as copy,
    ):
        waiting: list[str] = []
        for line in lines:
            waiting.append(line)
            if len(waiting) >= block:
                copy.write("\n".join(waiting) + "\n")
                waiting.clear()
        if waiting:
            copy.write("\n".join(waiting) + "\n")


def insert_lines(model: type[models.Model], columns: Sequence[str], lines: Iterable[str]) -> None:
    """Insert rows already written as lines of COPY's text format (tab-separated values of
    `columns`, attribute names; strings through `copy_text`), PostgreSQL only: for a batch
    job whose rows are numbers and known short codes, formatting each line in one f-string
    costs a fraction of formatting value by value."""
    by_attname = {field.attname: field.column for field in model._meta.concrete_fields}
    _copy_lines(model._meta.db_table, [by_attname[name] for name in columns], lines)


def insert_history(
    model: type[models.Model],
    instances: Sequence[models.Model],
    *,
    user: Any,
    batch_size: int = 2000,
) -> dict[Any, int]:
    """The "created" history record (django-simple-history) of each inserted instance,
    with the acting user. Returns {instance pk: history record id}."""
    if not instances:
        return {}
    history_manager = model.history  # type: ignore[attr-defined]
    if not _is_postgresql():
        records = history_manager.bulk_history_create(
            instances, default_user=user, batch_size=batch_size
        )
        return {record.id: record.history_id for record in records}
    history_model = history_manager.model
    history_ids = reserve_ids(history_model, len(instances))
    now = timezone.now()
    fields = history_model._meta.concrete_fields

    def row(instance: models.Model, history_id: int) -> list[Any]:
        special = {
            "history_id": history_id,
            "history_date": now,
            "history_change_reason": None,
            "history_type": "+",
            "history_user_id": getattr(user, "pk", None),
        }
        return [
            special[field.attname]
            if field.attname in special
            else _db_value(field, instance, now)
            if isinstance(field, models.JSONField)
            else getattr(instance, field.attname)
            for field in fields
        ]

    _copy(
        history_model._meta.db_table,
        [field.column for field in fields],
        map(row, instances, history_ids),
    )
    return dict(zip((instance.pk for instance in instances), history_ids, strict=True))


def insert_m2m_history(
    model: type[models.Model],
    field_name: str,
    links: Sequence[models.Model],
    history_ids: dict[Any, int],
) -> None:
    """The many-to-many part of those history records: which links (already inserted
    through-rows) each record had, so the history page shows them as there from the start."""
    if not links:
        return
    history_model = model.history.model  # type: ignore[attr-defined]
    m2m_history_model = next(
        relation.related_model
        for relation in history_model._meta.related_objects
        if relation.related_model.__name__ == f"{history_model.__name__}_{field_name}"
    )
    source = model._meta.model_name
    target = model._meta.get_field(field_name).m2m_reverse_field_name()  # type: ignore[union-attr]
    rows = [
        m2m_history_model(
            id=link.pk,
            **{
                f"{source}_id": getattr(link, f"{source}_id"),
                f"{target}_id": getattr(link, f"{target}_id"),
            },
            history_id=history_ids[getattr(link, f"{source}_id")],
        )
        for link in links
    ]
    insert_rows(m2m_history_model, rows)


def vacuum(*model_classes: type[models.Model]) -> None:
    """VACUUM ANALYZE tables whose rows were all rewritten (PostgreSQL, outside a
    transaction; elsewhere, or inside one, nothing): scans stop reading the dead rows at
    once instead of when autovacuum comes by."""
    if not _is_postgresql() or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for model_class in model_classes:
            table = connection.ops.quote_name(model_class._meta.db_table)
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def analyze(*model_classes: type[models.Model]) -> None:
    """Refresh the planner's statistics of tables just filled in bulk (PostgreSQL; inside
    the filling transaction they count its own rows). Autovacuum comes later: until then a
    query over a freshly filled table may be planned for a handful of rows and scan
    quadratically."""
    if not _is_postgresql():
        return
    with connection.cursor() as cursor:
        for model_class in model_classes:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model_class._meta.db_table)}")
