"""Running a program for a period (rebates.md §3–4): the engine over every partner, batch
by batch, each partner's statement and its results written with COPY, progress in the run.
A run replaces the program's unapproved statements of the period; approved ones stay."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from channelhub.lib.bulk import insert_rows
from channelhub.lib.money import quantize
from partners.models import Partner
from sales.models import SalesTarget
from tiers.choices import RunStatus

from . import engine
from .choices import StatementStatus
from .models import RebateResult, RebateRule, RebateRun, RebateStatement, SettlementLine
from .periods import RebatePeriod
from .rules import Rule, parse_rule

BATCH = 10_000  # partners per batch: one grouped statement over their lines each
QUARTER_FIELDS = {1: "q1", 2: "q2", 3: "q3", 4: "q4"}


def run_partners(period: RebatePeriod) -> QuerySet[Partner]:
    """Partners a run computes: joined by the period's end, not terminated before it began."""
    return Partner.objects.filter(cooperation_start_date__lte=period.end).exclude(
        terminated_on__lt=period.start
    )


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
    rules: list[Rule], period: RebatePeriod, partners: QuerySet[Partner]
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
        rows = SalesTarget.objects.filter(category, year=period.start.year, partner__in=partners)
        for row in rows.values("partner_id", *fields):
            amount = sum((row[name] for name in fields), Decimal(0)) / divisor
            if amount > 0:
                found[row["partner_id"], rule.code] = amount
    return found


def settled_sums(
    program_id: int, period: str, partners: QuerySet[Partner] | list[int]
) -> dict[tuple[int, str], Decimal]:
    """What was settled so far per (partner, rule code) of a program's period."""
    rows = (
        SettlementLine.objects.filter(program_id=program_id, period=period, partner__in=partners)
        .values("partner_id", "rule_code")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {(row["partner_id"], row["rule_code"]): row["total"] for row in rows}


def explanation(result: engine.Result, w: tuple[Any, Any], last: Any) -> dict[str, Any]:
    """Step 11's explanation, as stored with the result (values as strings)."""
    found = result.as_json()
    for name in ("rule", "partner", "amount", "reason", "lines"):
        found.pop(name)
    found["window"] = [w[0].isoformat(), last.isoformat()]
    if result.taken_by:
        found["taken_by"] = result.taken_by
    return {name: value for name, value in found.items() if value not in (None, [])}


def _batches(low: int, high: int) -> Iterator[tuple[int, int]]:
    start = low
    while start <= high:
        yield start, start + BATCH - 1
        start += BATCH


def _drop_drafts(run: RebateRun) -> None:
    """The program's unapproved statements of the period (and their results) go; the
    database refuses to touch an approved one."""
    drafts = RebateStatement.objects.filter(
        program_id=run.program_id, period=run.period, status=StatementStatus.DRAFT
    )
    RebateResult.objects.filter(statement__in=drafts).delete()
    with connection.cursor() as cursor:  # no dependants left: skip the ORM's collector
        sql, params = drafts.values("pk").query.sql_with_params()
        table = RebateStatement._meta.db_table
        cursor.execute(f"DELETE FROM {table} WHERE id IN (SELECT * FROM ({sql}) AS drafts)",
                       params)  # fmt: skip


def execute_run(run: RebateRun) -> RebateRun:
    """Compute every partner of the period, batch by batch (progress in the run)."""
    from .services import company_multipliers

    period = RebatePeriod.parse(run.period)
    versions = rules_of(run)
    version_of = {rule.code: version for version, rule in versions}
    rules = [rule for _version, rule in versions]
    planned = engine.plan(rules, period, as_of=run.as_of)
    windows = {rule.code: (w, planned.last_day(w)) for rule, w in planned.evaluated}
    multipliers = company_multipliers()
    partners = run_partners(period)
    with transaction.atomic():
        _drop_drafts(run)
        bounds = partners.aggregate(low=Min("id"), high=Max("id"))
        RebateRun.objects.filter(pk=run.pk).update(
            status=RunStatus.RUNNING, total=partners.count(), heartbeat_at=timezone.now()
        )
    done, total_amount = 0, Decimal(0)
    if bounds["low"] is not None and planned.evaluated:
        for low, high in _batches(bounds["low"], bounds["high"]):
            with transaction.atomic():
                batch = partners.filter(pk__gte=low, pk__lte=high)
                results = engine.compute_planned(
                    planned, partners=batch, multipliers=multipliers,
                    targets=targets_for(rules, period, batch),
                )  # fmt: skip
                settled = settled_sums(run.program_id, run.period, batch)
                done_now, amount = _store(run, results, settled, version_of, windows)
                done += done_now
                total_amount += amount
                RebateRun.objects.filter(pk=run.pk).update(done=done, heartbeat_at=timezone.now())
    RebateRun.objects.filter(pk=run.pk).update(
        status=RunStatus.DONE, done=done, amount=quantize(total_amount),
        finished_at=timezone.now(),
    )  # fmt: skip
    run.refresh_from_db()
    return run


def _store(
    run: RebateRun,
    results: list[engine.Result],
    settled: dict[tuple[int, str], Decimal],
    version_of: dict[str, RebateRule],
    windows: dict[str, Any],
) -> tuple[int, Decimal]:
    by_partner: dict[int, list[engine.Result]] = defaultdict(list)
    for result in results:
        by_partner[result.partner_id].append(result)
    settled_by_partner: dict[int, Decimal] = defaultdict(Decimal)
    for (partner_id, _code), amount in settled.items():
        settled_by_partner[partner_id] += amount
    statements, rows = [], []
    total = Decimal(0)
    for partner_id, found in by_partner.items():
        amount = sum((result.amount for result in found), Decimal(0))
        total += amount
        statement = RebateStatement(
            run_id=run.pk, program_id=run.program_id, partner_id=partner_id, period=run.period,
            kind=run.kind, amount=amount, to_settle=amount - settled_by_partner[partner_id],
        )  # fmt: skip
        statements.append(statement)
        rows.append((statement, found))
    insert_rows(RebateStatement, statements)
    insert_rows(
        RebateResult,
        [
            RebateResult(
                statement_id=statement.pk,
                rule_id=version_of[result.rule].pk,
                amount=result.amount,
                reason=result.reason,
                lines=result.lines,
                explanation=explanation(result, *windows[result.rule]),
            )  # fmt: skip
            for statement, found in rows
            for result in found
        ],
    )
    return len(statements), total
