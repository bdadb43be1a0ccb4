""" "What if" (rebates.md §5 in the browser): a program's current rules against a past
period's real lines, compared with another set of rules — by default the program as it
was last approved — per tier and per partner. Nothing is written."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.choices import Tier
from sales.models import SalesLine

from . import engine
from .choices import ProgramStatus
from .models import RebateProgram, RebateRule
from .periods import RebatePeriod
from .rules import Rule, parse_rule
from .runs import computed_batches, run_partners

ZERO = Decimal(0)
TOP_PARTNERS = 200  # the partners with the largest changes, listed


def _parsed(versions: list[RebateRule]) -> list[Rule]:
    return [parse_rule(version.spec, order=index) for index, version in enumerate(versions)]


def current_versions(program: RebateProgram) -> list[RebateRule]:
    return list(program.rules.filter(is_current=True).order_by("position", "pk"))


def approved_versions(program: RebateProgram) -> list[RebateRule]:
    """The rules as the program was last approved: each code's latest frozen version (a
    rule added since has none, so it is left out)."""
    frozen = program.rules.filter(is_frozen=True).order_by("code", "-version")
    latest: dict[str, RebateRule] = {}
    for version in frozen:
        latest.setdefault(version.code, version)
    return sorted(latest.values(), key=lambda version: (version.position, version.pk))


def comparison_for(program: RebateProgram, other: RebateProgram | None) -> list[RebateRule]:
    """What the program is compared with: another program's rules (as approved, if it is),
    or by default this program as last approved (nothing if it never was)."""
    if other is None:
        return approved_versions(program)
    if other.status == ProgramStatus.APPROVED:
        return current_versions(other)
    return approved_versions(other)


def _totals(each_partner: Iterable[list[engine.Result]]) -> dict[int, Decimal]:
    sums: dict[int, Decimal] = defaultdict(Decimal)
    for results in each_partner:
        for result in results:
            sums[result.partner_id] += result.amount
    return sums


def what_if(
    program: RebateProgram, period: RebatePeriod, compare_with: RebateProgram | None = None
) -> dict[str, Any]:
    """The rebate cost of the program's current rules for `period` (a final computation on
    the real lines), against the comparison's: in all, per tier and per partner."""
    from .services import company_multipliers

    if period.end >= timezone.localdate():
        raise ValidationError({"period": _("Choose a period that is over.")})
    multipliers = company_multipliers()
    partners = run_partners(period)
    # Both sides read the same partners and the same lines (none added in between).
    bounds = partners.aggregate(low=Min("id"), high=Max("id"))
    last_line = SalesLine.objects.aggregate(last=Max("pk"))["last"] or 0
    proposed = computed_batches(
        engine.plan(_parsed(current_versions(program)), period, last_line=last_line),
        partners, multipliers, bounds,
    )  # fmt: skip
    compared = computed_batches(
        engine.plan(_parsed(comparison_for(program, compare_with)), period,
                    last_line=last_line),
        partners, multipliers, bounds,
    )  # fmt: skip
    rows: list[dict[str, Any]] = []
    totals = dict.fromkeys(Tier.values, ZERO)
    compared_totals = dict.fromkeys(Tier.values, ZERO)
    fields = ("pk", "code", "legal_name", "tier")
    for batch, compared_batch in zip(proposed, compared, strict=True):
        new, old = _totals(batch.results), _totals(compared_batch.results)
        for partner in partners.filter(pk__gte=batch.low, pk__lte=batch.high).values(*fields):
            total, before = new.get(partner["pk"], ZERO), old.get(partner["pk"], ZERO)
            totals[partner["tier"]] += total
            compared_totals[partner["tier"]] += before
            if total != before:
                rows.append({
                    "partner_id": partner["pk"], "code": partner["code"],
                    "name": partner["legal_name"], "tier": partner["tier"], "total": total,
                    "compared": before, "delta": total - before,
                })  # fmt: skip
    tiers = [
        {"tier": tier, "total": totals[tier], "compared": compared_totals[tier],
         "delta": totals[tier] - compared_totals[tier]}
        for tier in Tier.values
    ]  # fmt: skip
    total, compared_total = sum(totals.values(), ZERO), sum(compared_totals.values(), ZERO)
    rows.sort(key=lambda row: (-abs(row["delta"]), row["code"]))
    return {
        "period": period.label,
        "total": total,
        "compared_total": compared_total,
        "delta": total - compared_total,
        "by_tier": tiers,
        "partners": rows[:TOP_PARTNERS],
        "partners_changed": len(rows),
    }
