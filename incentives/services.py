"""Writes of rebate programs: drafting, rules (checked, versioned), maker-checker
approval, retirement; and the company's tier multipliers for the engine."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import ProgramStatus
from .models import RebateProgram, RebateRule
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
