"""Writes of rebate programs: drafting, rules (checked, versioned), maker-checker
approval, retirement; and the company's tier multipliers for the engine."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from channelhub.lib.bulk import insert_rows
from dashboards.services import queue_partners
from tiers.choices import RunStatus
from tiers.services import STALE_AFTER, abandon_stale_runs

from .choices import ProgramStatus, RunKind, SettlementKind, StatementStatus
from .engine import deltas
from .models import (
    Payout,
    RebateProgram,
    RebateResult,
    RebateRule,
    RebateRun,
    RebateStatement,
    SettlementLine,
)
from .periods import RebatePeriod
from .rules import Rule, parse_rule

if TYPE_CHECKING:
    from accounts.models import User


def company_multipliers() -> dict[str, Decimal]:
    """The tier multipliers (a company setting: each tier policy's rebate multiplier)."""
    from maintenance.services import policies

    return {tier: policy.rebate_multiplier for tier, policy in policies().items()}


@transaction.atomic
def create_program(
    *,
    name: str,
    period_start: date,
    period_end: date,
    created_by: User | None,
    description: str = "",
) -> RebateProgram:
    program = RebateProgram(
        name=name.strip(),
        description=description,
        period_start=period_start,
        period_end=period_end,
        created_by=created_by,
        updated_by=created_by,
    )
    program._history_user = created_by  # type: ignore[attr-defined]
    program.full_clean()
    program.save()
    return program


def _locked(program: RebateProgram) -> RebateProgram:
    return RebateProgram.objects.select_for_update().get(pk=program.pk)


@transaction.atomic
def save_rule(program: RebateProgram, spec: dict[str, Any], *, saved_by: User | None) -> RebateRule:
    """Add or change a rule. It is checked first (a ValidationError names the field). It
    changes in place while its version was never approved; otherwise a new version is
    added (results keep theirs) and an approved program goes back to draft: the change
    needs approval."""
    locked = _locked(program)
    if locked.status == ProgramStatus.RETIRED:
        raise ValidationError(_("A retired program cannot change."))
    parse_rule(spec)
    current = RebateRule.objects.filter(program=locked, code=spec["code"], is_current=True).first()
    if current is not None and not current.is_frozen:
        current.spec = spec
        current.save(update_fields=["spec"])
        rule = current
    else:
        if current is not None:
            RebateRule.objects.filter(pk=current.pk).update(is_current=False)
        last = (
            RebateRule.objects.filter(program=locked, code=spec["code"]).aggregate(
                version=Max("version")
            )["version"]
            or 0
        )
        position = (
            current.position
            if current
            else RebateRule.objects.filter(program=locked, is_current=True).count()
        )
        rule = RebateRule.objects.create(
            program=locked,
            code=spec["code"],
            version=last + 1,
            spec=spec,
            position=position,
            created_by=saved_by,
        )
    if locked.status == ProgramStatus.APPROVED:
        locked.status = ProgramStatus.DRAFT
        locked.approved_by, locked.approved_at = None, None
    locked.updated_by = saved_by
    locked._history_user = saved_by  # type: ignore[attr-defined]
    locked.save()
    return rule


@transaction.atomic
def approve_program(program: RebateProgram, *, approved_by: User) -> RebateProgram:
    """Maker-checker: a sales VP other than the person who last edited the program."""
    locked = _locked(program)
    if locked.status != ProgramStatus.DRAFT:
        raise ValidationError(_("Only a draft program can be approved."))
    if not approved_by.has_perm("incentives.approve_rebateprogram"):
        raise ValidationError(_("Only a sales VP approves rebate programs."))
    if locked.updated_by_id == approved_by.pk:
        raise ValidationError(_("Someone other than its last editor must approve the program."))
    if not locked.rules.filter(is_current=True).exists():
        raise ValidationError(_("A program needs at least one rule."))
    locked.rules.filter(is_current=True).update(is_frozen=True)
    locked.status = ProgramStatus.APPROVED
    locked.approved_by, locked.approved_at = approved_by, timezone.now()
    locked._history_user = approved_by  # type: ignore[attr-defined]
    locked.save()
    return locked


@transaction.atomic
def retire_program(program: RebateProgram, *, retired_by: User) -> RebateProgram:
    locked = _locked(program)
    locked.status = ProgramStatus.RETIRED
    locked._history_user = retired_by  # type: ignore[attr-defined]
    locked.save()
    return locked


def current_rules(program: RebateProgram) -> list[Rule]:
    """The program's current rule versions, in order, as the engine reads them."""
    return [
        parse_rule(rule.spec, order=index)
        for index, rule in enumerate(
            program.rules.filter(is_current=True).order_by("position", "pk")
        )
    ]


@transaction.atomic
def start_run(
    program: RebateProgram,
    period: RebatePeriod,
    *,
    kind: str,
    started_by: User | None,
    as_of: date | None = None,
) -> RebateRun:
    """Queue a run of an approved program (its current rule versions) for `period`; the
    Celery task starts once this transaction commits. An accrual runs as of a day inside
    the period (default: today, or the period's end if it is over); a final run only once
    the period is over. One run per program at a time."""
    locked = _locked(program)
    if locked.status != ProgramStatus.APPROVED:
        raise ValidationError(_("Only an approved program can be run."))
    if period.end < locked.period_start or period.start > locked.period_end:
        raise ValidationError({"period": _("The period is outside the program's dates.")})
    today = timezone.localdate()
    if kind == RunKind.FINAL:
        if period.end >= today:
            raise ValidationError({"kind": _("A final run waits until the period is over.")})
        as_of = None
    else:
        as_of = as_of or min(today, period.end)
        if not period.start <= as_of <= period.end:
            raise ValidationError({"as_of": _("Give a day inside the period.")})
    rules = list(locked.rules.filter(is_current=True).values_list("pk", flat=True))
    abandon_stale_runs(RebateRun.objects.all())
    if locked.runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists():
        raise ValidationError(_("This program is already being computed."))
    run = RebateRun.objects.create(
        program=locked, period=period.label, kind=kind, as_of=as_of, rules=rules,
        created_by=started_by,
    )  # fmt: skip
    from .tasks import run_rebates_task

    transaction.on_commit(lambda: run_rebates_task.delay(run.pk))
    return run


def run_rebates(run_id: int) -> RebateRun:
    """What the task does: claim the run (queued, or running without progress: its worker
    died and the task was redelivered), compute it; a failure is recorded, never silent."""
    from .runs import RunTakenOver, execute_run

    now = timezone.now()
    token = uuid.uuid4().hex
    claimed = (
        RebateRun.objects.filter(pk=run_id)
        .filter(Q(status=RunStatus.QUEUED)
                | Q(status=RunStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER))
        .update(status=RunStatus.RUNNING, heartbeat_at=now, done=0, error="", claim=token)
    )  # fmt: skip
    run = RebateRun.objects.select_related("program").get(pk=run_id)
    if not claimed:
        return run
    try:
        return execute_run(run)
    except RunTakenOver:
        return run  # another worker has it now; its outcome is the run's
    except Exception as error:
        RebateRun.objects.filter(pk=run_id, claim=token).update(
            status=RunStatus.FAILED, error=f"{type(error).__name__}: {error}"[:2000],
            finished_at=timezone.now(),
        )  # fmt: skip
        raise


APPROVE_CHUNK = 2000


@transaction.atomic
def approve_statements(
    statements: Iterable[RebateStatement], *, approved_by: User
) -> list[RebateStatement]:
    """Approve and settle (rebates.md §4): per rule, delta = amount now − what was settled
    for that rule, partner and period; a payout line if > 0, a claw-back line if < 0,
    nothing if 0; a rule settled before that has no result now is clawed back whole.
    Statements already approved are left alone (settling twice writes nothing). Set-based:
    a few queries per chunk of statements, whatever their number."""
    if not approved_by.has_perm("incentives.approve_rebatestatement"):
        raise ValidationError(_("Only a sales VP approves rebate statements."))
    ids = sorted({statement.pk for statement in statements})
    approved: list[RebateStatement] = []
    for start in range(0, len(ids), APPROVE_CHUNK):
        approved += _approve_chunk(ids[start : start + APPROVE_CHUNK], approved_by)
    queue_partners(statement.partner_id for statement in approved)  # their rebate cost
    return approved


def _approve_chunk(ids: list[int], approved_by: User) -> list[RebateStatement]:
    locked = list(
        RebateStatement.objects.select_for_update(of=("self",))
        .select_related("run")
        .filter(pk__in=ids, status=StatementStatus.DRAFT)
        .order_by("pk")
    )
    if any(statement.run.status != RunStatus.DONE for statement in locked):
        raise ValidationError(_("A statement of an unfinished or failed run cannot be approved."))
    if not locked:
        return []
    settled: dict[tuple[int, str, int], dict[str, Decimal]] = defaultdict(dict)
    keys = {(s.program_id, s.period, s.partner_id) for s in locked}
    rows = (
        SettlementLine.objects.filter(
            program_id__in={key[0] for key in keys}, period__in={key[1] for key in keys},
            partner_id__in={key[2] for key in keys},
        )
        .values("program_id", "period", "partner_id", "rule_code")
        .annotate(total=Sum("amount"))
        .order_by()
    )  # fmt: skip
    for row in rows:
        key = (row["program_id"], row["period"], row["partner_id"])
        if key in keys:  # the filter is a superset when the chunk spans programs
            settled[key][row["rule_code"]] = row["total"]
    results: dict[int, list[RebateResult]] = defaultdict(list)
    for result in RebateResult.objects.filter(statement__in=locked).select_related("rule"):
        results[result.statement_id].append(result)
    now = timezone.now()
    lines = []
    for statement in locked:
        key = (statement.program_id, statement.period, statement.partner_id)
        by_code = {found.rule.code: found for found in results[statement.pk]}
        amounts = {code: found.amount for code, found in by_code.items()}
        written = Decimal(0)
        for code, delta in deltas(amounts, settled[key]).items():
            now_result = by_code.get(code)
            reason = (_reason(statement, now_result) if now_result is not None
                      else _("The rule no longer gives a result: clawed back."))  # fmt: skip
            rule = now_result.rule if now_result is not None else None
            lines.append(_line(statement, code, rule, delta, reason))
            written += delta
        statement.status = StatementStatus.APPROVED
        statement.approved_by, statement.approved_at = approved_by, now
        statement.to_settle = written
    insert_rows(SettlementLine, lines)
    RebateStatement.objects.bulk_update(
        locked, ["status", "approved_by", "approved_at", "to_settle"], batch_size=500
    )
    return locked


def _reason(statement: RebateStatement, result: RebateResult) -> str:
    return _("%(kind)s run #%(run)s, rule %(rule)s v%(version)s: %(amount)s") % {
        "kind": statement.get_kind_display(), "run": statement.run_id,
        "rule": result.rule.code, "version": result.rule.version, "amount": result.amount,
    }  # fmt: skip


def _line(
    statement: RebateStatement, code: str, rule: RebateRule | None, delta: Decimal, reason: str
) -> SettlementLine:
    return SettlementLine(
        statement_id=statement.pk, program_id=statement.program_id,
        partner_id=statement.partner_id, period=statement.period, rule_code=code, rule=rule,
        kind=SettlementKind.PAYOUT if delta > 0 else SettlementKind.CLAWBACK, amount=delta,
        reason=reason[:300],
    )  # fmt: skip


@transaction.atomic
def record_payout(
    statement: RebateStatement, *, paid_on: date, reference: str, recorded_by: User
) -> Payout:
    """Record that an approved statement's settlement was paid (or its net claw-back
    recovered): once, with the date and the payment reference."""
    locked = RebateStatement.objects.select_for_update().get(pk=statement.pk)
    if locked.status != StatementStatus.APPROVED:
        raise ValidationError(_("Only an approved statement is paid."))
    if locked.to_settle == 0:
        raise ValidationError(_("This statement settled nothing: there is nothing to pay."))
    if Payout.objects.filter(statement=locked).exists():
        raise ValidationError(_("This statement's payout is already recorded."))
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("The payment date cannot be in the future.")})
    if not reference.strip():
        raise ValidationError({"reference": _("Give the payment reference.")})
    return Payout.objects.create(
        statement=locked, paid_on=paid_on, reference=reference.strip(), recorded_by=recorded_by
    )


PROGRAM_FIELDS = frozenset({"name", "description", "period_start", "period_end"})


@transaction.atomic
def update_program(
    program: RebateProgram, *, changed_by: User | None, **changes: Any
) -> RebateProgram:
    """Edit a program's name, description and dates: a draft's freely; an approved one's
    name and description only (its dates are part of what was approved); a retired
    program's not at all. The editor becomes its last editor (maker-checker)."""
    unknown = set(changes) - PROGRAM_FIELDS
    if unknown:
        raise TypeError(f"update_program: unknown field(s) {', '.join(sorted(unknown))}")
    locked = _locked(program)
    if locked.status == ProgramStatus.RETIRED:
        raise ValidationError(_("A retired program cannot change."))
    if locked.status == ProgramStatus.APPROVED:
        for name in ("period_start", "period_end"):
            if name in changes and changes[name] != getattr(locked, name):
                raise ValidationError({name: _("An approved program's dates cannot change.")})
    for name, value in changes.items():
        setattr(locked, name, value.strip() if name == "name" else value)
    if locked.period_end < locked.period_start:
        raise ValidationError({"period_end": _("The program cannot end before it starts.")})
    locked.updated_by = changed_by
    locked._history_user = changed_by  # type: ignore[attr-defined]
    locked.full_clean()
    locked.save()
    return locked
