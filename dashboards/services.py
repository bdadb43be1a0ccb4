"""Keeping the summaries current: a change queues the partners it touched (in its own
transaction), a worker drains the queue; the dashboards' settings.

Queueing writes the partner's queue row (insert, or update when it is there): the row stays
locked until the change commits. The drain locks the rows it takes and the partners behind
them, skipping any that are locked, computes and deletes them in one transaction. So a
change is either committed before the drain reads (and computed) or waits for the drain to
commit and queues its partner again; a drain that dies rolls back and leaves its rows
queued; the drain never waits for a writer (no deadlock)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from partners.models import Partner

from .models import DashboardSettings, SummaryQueue
from .summary import refresh_partners

logger = logging.getLogger(__name__)
DRAIN_BATCH = 500


def queue_partners(partner_ids: Iterable[int | None]) -> None:
    """Queue these partners' summaries for recomputation once the current transaction
    commits (nothing is queued if it rolls back)."""
    ids = {pk for pk in partner_ids if pk is not None}
    if not ids:
        return
    now = timezone.now()
    SummaryQueue.objects.bulk_create(
        [SummaryQueue(partner_id=pk, queued_at=now) for pk in sorted(ids)],
        update_conflicts=True,
        unique_fields=["partner_id"],
        update_fields=["queued_at"],
    )
    _kick_on_commit()


def queue_partners_of(rows: QuerySet, field: str = "partner_id") -> None:
    """Queue the partners of a queryset's rows (`field` holds the partner's id: an import's
    lines, hundreds of thousands of them; "pk" for partners), set-based."""
    selected = rows.order_by().annotate(queued_partner=F(field)).values("queued_partner")
    sql, params = selected.distinct().query.sql_with_params()
    queue = connection.ops.quote_name(SummaryQueue._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            # (WHERE: SQLite reads ON CONFLICT after a bare FROM as a join constraint)
            f"INSERT INTO {queue} (partner_id, queued_at) SELECT q.queued_partner, %s "  # noqa: S608
            f"FROM ({sql}) q WHERE 1 = 1 ORDER BY q.queued_partner "
            "ON CONFLICT (partner_id) DO UPDATE SET queued_at = excluded.queued_at",
            [connection.ops.adapt_datetimefield_value(timezone.now()), *params],
        )
    _kick_on_commit()


def _kick_on_commit() -> None:
    """One kick per transaction, however many rows it queued (an import of targets saves
    thousands)."""
    if any(entry[1] is _kick for entry in connection.run_on_commit):  # (savepoints, callback, …)
        return
    transaction.on_commit(_kick)


def _kick() -> None:
    from .tasks import refresh_summaries_task

    try:  # no retries: with the broker down the request must not wait for it
        refresh_summaries_task.apply_async(retry=False)
    except Exception:  # the queue stays in the database for beat's sweep
        logger.warning("Could not queue the summary refresh; beat's sweep will do it")


def drain_queue(*, today: date | None = None, batch_size: int = DRAIN_BATCH) -> int:
    """Recompute the queued partners' summaries, a batch per transaction; the number of
    partners done. Rows and partners another transaction holds are left for later, so
    workers drain side by side; a partner that fails is retried alone, then left queued
    (logged) without stopping the others."""
    done = 0
    passed: set[int] = set()  # held by a writer, or failing: not again in this drain
    while True:
        try:
            with transaction.atomic():
                ids = list(
                    SummaryQueue.objects.select_for_update(skip_locked=True)
                    .exclude(partner_id__in=passed)
                    .order_by("partner_id")
                    .values_list("partner_id", flat=True)[:batch_size]
                )
                if not ids:
                    return done
                done += _drain(ids, passed, today)
        except Exception:
            logger.exception("Summaries of a batch failed; retrying its partners one by one")
            for pk in ids:
                try:
                    with transaction.atomic():
                        held = SummaryQueue.objects.select_for_update(skip_locked=True)
                        if list(held.filter(partner_id=pk).values_list("pk")):
                            done += _drain([pk], passed, today)
                except Exception:  # one bad partner must not stop the others
                    logger.exception("Summaries of partner %s failed; left in the queue", pk)
                passed.add(pk)


def _drain(ids: list[int], passed: set[int], today: date | None) -> int:
    """Inside the caller's transaction, which holds the queue rows of `ids`."""
    free = list(
        Partner.objects.filter(pk__in=ids)
        .select_for_update(no_key=True, skip_locked=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    existing = set(Partner.objects.filter(pk__in=ids).values_list("pk", flat=True))
    passed.update(existing - set(free))  # a writer holds them: it queues them again
    refresh_partners(free, today=today, locked=True)
    SummaryQueue.objects.filter(partner_id__in=[*free, *(set(ids) - existing)]).delete()
    return len(free)


def queued_count() -> int:
    return SummaryQueue.objects.count()


def current_settings() -> DashboardSettings:
    settings, _created = DashboardSettings.objects.get_or_create(pk=1)
    return settings
