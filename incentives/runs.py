"""Running a program for a period (rebates.md §3–4): the engine over every partner, batch
by batch, each partner's statement and its results written with COPY, progress in the run.
A run replaces the program's unapproved statements of the period; approved ones stay."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from channelhub.lib.bulk import (
    copy_text,
    id_ranges,
    insert_lines,
    insert_values,
    reserve_ids,
)
from channelhub.lib.money import quantize
from partners.models import Partner
from sales.models import SalesLine, SalesTarget
from tiers.choices import RunStatus

from . import engine
from .choices import StatementStatus
from .models import RebateResult, RebateRule, RebateRun, RebateStatement, SettlementLine
from .periods import RebatePeriod
from .rules import Rule, parse_rule

BATCH = 10_000  # partners per transaction (statements written, progress shown)
FETCH = 20_000  # summed rows read from the stream at a time
ZERO = Decimal(0)
QUARTER_FIELDS = {1: "q1", 2: "q2", 3: "q3", 4: "q4"}


def run_partners(period: RebatePeriod, *, program_id: int | None = None) -> QuerySet[Partner]:
    """Partners a run computes: joined by the period's end and not terminated before it
    began — and, for a program, every partner something was settled for in the period
    (whose settlement must be clawed back if nothing is due now)."""
    computed = Q(cooperation_start_date__lte=period.end) & ~Q(terminated_on__lt=period.start)
    if program_id is not None:
        settled = SettlementLine.objects.filter(program_id=program_id, period=period.label)
        computed |= Q(pk__in=settled.values("partner_id"))
    return Partner.objects.filter(computed)


def rules_of(run: RebateRun) -> list[tuple[RebateRule, Rule]]:
    versions = RebateRule.objects.filter(pk__in=run.rules).order_by("position", "pk")
    return [(version, parse_rule(version.spec, order=index))
            for index, version in enumerate(versions)]  # fmt: skip


def _quarters(period: RebatePeriod) -> tuple[list[str], Decimal]:
    """The target fields a period covers, and what their sum is divided by (a month: ⅓)."""
    first, last = (period.start.month - 1) // 3 + 1, (period.end.month - 1) // 3 + 1
    fields = [QUARTER_FIELDS[number] for number in range(first, last + 1)]
    return fields, Decimal(3) if period.granularity == "month" else Decimal(1)


def targets_for(
    rules: list[Rule], period: RebatePeriod, partners: QuerySet[Partner] | Q
) -> dict[tuple[int, str], Decimal]:
    """Targets of `target` rules from the partners' annual target agreements: the quarters
    the period covers (a month: a third of its quarter's). A rule on exactly one category
    reads that category's target; any other rule the partner's total target."""
    fields, divisor = _quarters(period)
    found: dict[tuple[int, str], Decimal] = {}
    for rule in rules:
        if rule.kind != "target":
            continue
        category = Q(category__isnull=True)
        if len(rule.categories) == 1:
            category = Q(category__code=rule.categories[0])
        covered = sum((F(name) for name in fields[1:]), F(fields[0]))
        rows = (
            SalesTarget.objects.filter(category, _of(partners), year=period.start.year)
            .annotate(covered=covered).values_list("partner_id", "covered")
        )  # fmt: skip
        for partner_id, amount in rows:
            if amount > 0:
                found[partner_id, rule.code] = amount if divisor == 1 else amount / divisor
    return found


def _of(partners: QuerySet[Partner] | Q) -> Q:
    """Rows of these partners: a queryset of them, or a condition on `partner_id`."""
    return partners if isinstance(partners, Q) else Q(partner__in=partners)


def settled_sums(
    program_id: int, period: str, partners: QuerySet[Partner] | Q
) -> dict[tuple[int, str], Decimal]:
    """What was settled so far per (partner, rule code) of a program's period."""
    rows = (
        SettlementLine.objects.filter(_of(partners), program_id=program_id, period=period)
        .values("partner_id", "rule_code")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {(row["partner_id"], row["rule_code"]): row["total"] for row in rows}


def explanation(result: engine.Result, window: str) -> str:
    """Step 11's explanation as the JSON text stored with the result: values as strings,
    what is not known left out; the amount, reason, line count and rule version are
    columns. Written by hand: hundreds of thousands per run, and every value is a number,
    a date or `taken_by`'s codes (which go through `json.dumps`). Decimals through `!s`:
    formatting one with `format()` costs three times `str()`."""
    text = f'{{"window":{window},"multiplier":"{result.multiplier!s}"'
    if result.factor != 1:
        text += f',"factor":"{result.factor!s}"'
    if result.measure is not None:
        text += f',"measure":"{result.measure!s}","base":"{result.base!s}"'
    if result.prior is not None:
        text += f',"prior":"{result.prior!s}"'
    if result.rate_percent is not None:
        text += f',"rate_percent":"{result.rate_percent!s}"'
    if result.raw is not None:
        text += f',"raw":"{result.raw!s}"'
    if result.thresholds:
        text += ',"thresholds":["' + '","'.join(result.thresholds) + '"]'
    if result.capped:
        text += ',"capped":true'
    if result.taken_by:
        text += f',"taken_by":{json.dumps(list(result.taken_by), ensure_ascii=False)}'
    return text + "}"


@dataclass
class Batch:
    """A batch of partners (ids from low to high): the ids of those computed, and their
    results partner by partner, computed as they are read."""

    low: int
    high: int
    partner_ids: list[int]
    results: Iterator[list[engine.Result]]


def computed_batches(
    planned: engine.Plan,
    partners: QuerySet[Partner],
    multipliers: dict[str, Decimal],
    bounds: dict[str, int | None] | None = None,
) -> Iterator[Batch]:
    """The results of `partners`, batch by batch of ids between `bounds` (default: their
    lowest and highest id): their lines summed by one statement, read as a stream, the
    arithmetic as each batch's results are read."""
    rules = [rule for rule, _w in planned.evaluated]
    bounds = bounds or partners.aggregate(low=Min("id"), high=Max("id"))
    if bounds["low"] is None or bounds["high"] is None:
        return
    with closing(_partner_cells(planned)) as stream:
        waiting = next(stream, None)
        for low, high in id_ranges(bounds["low"], bounds["high"], BATCH):
            cells: dict[int, engine.Cells] = {}
            while waiting is not None and waiting[0] <= high:
                cells.setdefault(waiting[0], {}).update(waiting[1])  # long rows: several
                waiting = next(stream, None)
            batch = partners.filter(pk__gte=low, pk__lte=high)
            rows = list(batch.order_by("pk").values(*engine.PARTNER_FIELDS))
            # targets by id range (a superset: only the batch's rows are computed), which
            # the index serves without evaluating the partners' filter again
            in_range = Q(partner_id__gte=low, partner_id__lte=high)
            targets = targets_for(rules, planned.period, in_range)
            yield Batch(low, high, [row["pk"] for row in rows], engine.each_partner(
                planned, rows, cells, multipliers=multipliers, targets=targets,
            ))  # fmt: skip


def _partner_cells(planned: engine.Plan) -> Generator[tuple[int, engine.Cells], None, None]:
    """Every partner's summed lines, partner by partner in id order, from ONE statement over
    the period's lines (not one per batch: each would scan the whole period again). The
    rows stay in the driver's buffer (a few tens of MB, not Python objects) and become
    Python values FETCH rows at a time; a server-side cursor would keep PostgreSQL from
    using parallel workers for it."""
    if not planned.evaluated:
        return
    sql, params = engine.cell_sql(planned)
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        raw = connection.connection
        assert raw is not None
        with raw.cursor() as cursor:
            with transaction.atomic():  # the settings last for this statement only
                # JIT compiling costs more than it saves. (A larger work_mem made it slower
                # at 100 000 partners: the planner then chose a bitmap scan of the period's
                # lines over a parallel scan of the table, 3.3 s against 2.8 s.)
                cursor.execute("SET LOCAL jit = off")
                cursor.execute(sql, params)  # the rows are now in the driver's buffer
            while rows := cursor.fetchmany(FETCH):
                for row in rows:
                    yield row[0], engine.cells_of(planned, row)
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for row in cursor.fetchall():
                yield row[0], engine.cells_of(planned, row, exact=False)


def _drop_drafts(run: RebateRun) -> None:
    """The program's unapproved statements of the period (and their results) go; the
    database refuses to touch an approved one."""
    # Lock them first, in the order an approval locks them: a draft being approved right
    # now is waited for, then seen approved and left alone.
    ids = list(
        RebateStatement.objects.select_for_update()
        .filter(program_id=run.program_id, period=run.period, status=StatementStatus.DRAFT)
        .order_by("pk").values_list("pk", flat=True)
    )  # fmt: skip
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        RebateResult.objects.filter(statement_id__in=chunk)._raw_delete(connection.alias)
        RebateStatement.objects.filter(pk__in=chunk)._raw_delete(connection.alias)


class RunTakenOver(Exception):
    """The run is no longer this worker's (abandoned as stale, then claimed again)."""


def _progress(run: RebateRun, **fields: Any) -> None:
    """Write the run's progress — only while this worker still holds it; otherwise stop
    (the enclosing transaction rolls the batch back)."""
    owned = RebateRun.objects.filter(pk=run.pk, claim=run.claim, status=RunStatus.RUNNING)
    if not owned.update(heartbeat_at=timezone.now(), **fields):
        raise RunTakenOver(f"rebate run {run.pk} is no longer this worker's")


def execute_run(run: RebateRun) -> RebateRun:
    """Compute every partner of the period, batch by batch (progress in the run). `run` is
    claimed (status running, `claim` this worker's token)."""
    from .services import company_multipliers

    period = RebatePeriod.parse(run.period)
    versions = rules_of(run)
    version_of = {rule.code: version for version, rule in versions}
    rules = [rule for _version, rule in versions]
    if run.last_line is None:
        run.last_line = SalesLine.objects.aggregate(last=Max("pk"))["last"] or 0
        _progress(run, last_line=run.last_line)
    planned = engine.plan(rules, period, as_of=run.as_of, last_line=run.last_line)
    windows = {
        rule.code: json.dumps([w[0].isoformat(), planned.last_day(w).isoformat()])
        for rule, w in planned.evaluated
    }
    multipliers = company_multipliers()
    partners = run_partners(period, program_id=run.program_id)
    with transaction.atomic():
        _drop_drafts(run)
        bounds = partners.aggregate(low=Min("id"), high=Max("id"))
        _progress(run, total=partners.count())
    done, total_amount = 0, Decimal(0)
    if bounds["low"] is not None:
        done, total_amount = _store_batches(run, planned, partners, multipliers, bounds,
                                            version_of, windows)  # fmt: skip
    _progress(run, status=RunStatus.DONE, done=done, amount=quantize(total_amount),
              finished_at=timezone.now())  # fmt: skip
    run.refresh_from_db()
    return run


def _store_batches(
    run: RebateRun, planned: engine.Plan, partners: QuerySet[Partner],
    multipliers: dict[str, Decimal], bounds: dict[str, int | None],
    version_of: dict[str, RebateRule], windows: dict[str, str],
) -> tuple[int, Decimal]:  # fmt: skip
    """Compute and store every batch, each in its transaction; returns how many statements
    were written and their amount."""
    done, total_amount = 0, Decimal(0)
    for batch in computed_batches(planned, partners, multipliers, bounds):
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    # The guard on new results reads them back as one table (about 10 MB a
                    # batch): in memory, not spilled to a temporary file.
                    cursor.execute("SET LOCAL work_mem = '64MB'")
            ids = Q(partner_id__gte=batch.low, partner_id__lte=batch.high)
            settled = settled_sums(run.program_id, run.period, ids)
            done_now, amount = _store(run, batch, settled, version_of, windows)
            done += done_now
            total_amount += amount
            _progress(run, done=done)
    return done, total_amount


STATEMENT_COLUMNS = ["run_id", "program_id", "partner_id", "period", "kind", "status", "amount",
                     "to_settle"]  # fmt: skip
RESULT_COLUMNS = ["statement_id", "rule_id", "amount", "reason", "lines", "explanation"]


def _store(
    run: RebateRun,
    batch: Batch,
    settled: dict[tuple[int, str], Decimal],
    version_of: dict[str, RebateRule],
    windows: dict[str, str],
) -> tuple[int, Decimal]:
    """Write the batch's statements and results: a statement per partner with results, and
    per partner something was settled for (whose statement claws back what is no longer
    due). Returns how many statements, and their amount."""
    settled_by_partner: dict[int, Decimal] = defaultdict(Decimal)
    for (partner_id, _code), amount in settled.items():
        settled_by_partner[partner_id] += amount
    rule_ids = {code: version.pk for code, version in version_of.items()}
    amounts: dict[int, Decimal] = {}
    if connection.vendor == "postgresql":
        # The results go to the database as they are computed: it stores one partner's
        # while the next is computed. Their statements' ids are drawn first.
        computed = set(batch.partner_ids)
        candidates = batch.partner_ids + [pk for pk in settled_by_partner if pk not in computed]
        statement_of = dict(zip(candidates, reserve_ids(RebateStatement, len(candidates)),
                                strict=True))  # fmt: skip

        def lines() -> Iterator[str]:
            for results in batch.results:
                partner_id = results[0].partner_id
                statement_id, total = statement_of[partner_id], ZERO
                for result in results:
                    total += result.amount
                    text = explanation(result, windows[result.rule])
                    if "\\" in text:  # only a rule code of `taken_by` can bring one
                        text = copy_text(text)
                    yield (f"{statement_id}\t{rule_ids[result.rule]}\t{result.amount!s}\t"
                           f"{result.reason}\t{result.lines}\t{text}")  # fmt: skip
                amounts[partner_id] = total

        insert_lines(RebateResult, RESULT_COLUMNS, lines())
        for partner_id in settled_by_partner:  # without a result now: it claws back
            amounts.setdefault(partner_id, ZERO)
        same = "\t".join(map(copy_text, (str(run.pk), str(run.program_id))))
        labels = "\t".join(map(copy_text, (run.period, run.kind, StatementStatus.DRAFT)))
        insert_lines(RebateStatement, ["id", *STATEMENT_COLUMNS], (
            f"{statement_of[pk]}\t{same}\t{pk}\t{labels}\t{amount!s}\t"
            f"{amount - settled_by_partner[pk]!s}"
            for pk, amount in amounts.items()
        ))  # fmt: skip
    else:
        by_partner = {results[0].partner_id: results for results in batch.results}
        for partner_id in settled_by_partner:
            by_partner.setdefault(partner_id, [])
        amounts = {pk: sum((result.amount for result in results), ZERO)
                   for pk, results in by_partner.items()}  # fmt: skip
        ids = insert_values(RebateStatement, STATEMENT_COLUMNS, [
            _statement(run, pk, amount, settled_by_partner[pk]) for pk, amount in amounts.items()
        ])  # fmt: skip
        insert_values(RebateResult, RESULT_COLUMNS, [
            (statement_id, rule_ids[result.rule], result.amount, result.reason, result.lines,
             explanation(result, windows[result.rule]))
            for statement_id, results in zip(ids, by_partner.values(), strict=True)
            for result in results
        ], with_ids=False)  # fmt: skip
    return len(amounts), sum(amounts.values(), ZERO)


def _statement(
    run: RebateRun, partner_id: int, amount: Decimal, settled: Decimal
) -> tuple[Any, ...]:
    """A statement's values for STATEMENT_COLUMNS."""
    return (run.pk, run.program_id, partner_id, run.period, run.kind, StatementStatus.DRAFT,
            amount, amount - settled)  # fmt: skip
