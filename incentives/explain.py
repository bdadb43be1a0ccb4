"""A result as its reader reads it (rebates.md §3 step 11): base, thresholds after
pro-rating, the tier reached and how far the next one is, rate, multiplier, cap — and the
sales lines behind it, for the drill-down."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.db.models import Q, QuerySet

from sales.models import Category, SalesLine

from . import engine
from .choices import REASONS
from .models import RebateResult, RebateRule, RebateStatement
from .periods import RebatePeriod
from .rules import Rule, parse_rule

HUNDRED = Decimal(100)
COUNTED_NOTHING = ("tier_not_eligible", "not_active")  # stopped before taking lines


@dataclass
class Step:
    """One rung of a rule's ladder: from where (after pro-rating), the rate, reached?"""

    start: Decimal | None
    rate: Decimal
    reached: bool
    label: str  # "≥ 100000.00", "+10 %", "90 %"
    applied: bool = False  # its rate is the one paid (incremental: every band reached)


@dataclass
class Explained:
    result: RebateResult
    rule: Rule
    reason: str
    steps: list[Step]
    next_rate: Decimal | None
    to_next: Decimal | None  # how much more measure reaches the next rung
    facts: dict[str, Any]


def _decimal(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _least(bound: Decimal, rule: Rule) -> Decimal:
    """The smallest measure that reaches `bound` (a growth or achievement tier compares by
    multiplying, so the shown threshold rounds up, never down to an unreached figure)."""
    step = Decimal("0.01") if rule.measure == "amount" else Decimal("0.001")
    return bound.quantize(step, rounding=ROUND_CEILING)


def describe(result: RebateResult) -> Explained:
    rule = parse_rule(result.rule.spec)
    facts = result.explanation
    measure = _decimal(facts.get("measure"))
    prior = _decimal(facts.get("prior"))
    steps: list[Step] = []
    if rule.kind == "volume_tiered" and facts.get("thresholds"):  # none: it stopped earlier
        thresholds = [Decimal(t) for t in facts["thresholds"]]
        steps = [
            Step(start, rate, measure is not None and start <= measure, str(number))
            for number, (start, (_t, rate)) in enumerate(
                zip(thresholds, rule.tiers, strict=True), start=1
            )
        ]
    elif rule.kind == "growth" and prior is not None and prior > 0:
        steps = [
            Step(_least(prior * (HUNDRED + growth) / HUNDRED, rule), rate,
                 measure is not None and (measure - prior) * HUNDRED >= growth * prior,
                 f"+{growth} %")
            for growth, rate in rule.growth_tiers
        ]  # fmt: skip
    elif rule.kind == "target" and facts.get("thresholds"):
        target = Decimal(facts["thresholds"][0])
        steps = [
            Step(_least(target * achievement / HUNDRED, rule), rate,
                 measure is not None and measure * HUNDRED >= achievement * target,
                 f"{achievement} %")
            for achievement, rate in rule.achievement_tiers
        ]  # fmt: skip
    reached = [step for step in steps if step.reached]
    for step in (
        reached
        if rule.tier_mode == "incremental" and rule.kind == "volume_tiered"
        else reached[-1:]
    ):
        step.applied = True
    following = next((step for step in steps if not step.reached), None)
    to_next = None
    if following is not None and following.start is not None and measure is not None:
        to_next = max(Decimal(0), following.start - measure)
    return Explained(
        result=result, rule=rule, reason=str(REASONS.get(result.reason, result.reason)),
        steps=steps, next_rate=following.rate if following else None, to_next=to_next,
        facts=facts,
    )  # fmt: skip


def _accepted_categories(rule: Rule) -> Q:
    if not rule.categories and not rule.exclude_categories:
        return Q()
    rows = list(Category.objects.values_list("pk", "code", "path"))
    paths = {code: path for _pk, code, path in rows}
    category_filter = engine.CategoryFilter(rule, paths)
    return Q(category_id__in=[pk for pk, _code, path in rows if category_filter.accepts(path)])


def _window(rule: Rule, period: RebatePeriod, as_of: date | None) -> tuple[date, date] | None:
    w = engine.window(rule, period)
    if w is None:
        return None
    return w[0], min(w[1], as_of) if as_of else w[1]


def lines_behind(result: RebateResult, statement: RebateStatement, *, prior: bool = False
                 ) -> QuerySet[SalesLine]:  # fmt: skip
    """The partner's lines the result summed: inside its window (up to the accrual's day),
    through its category filters, less those a rule of its exclusive group took first. With
    `prior`, a growth rule's lines of the year before."""
    rule = parse_rule(result.rule.spec)
    period = RebatePeriod.parse(statement.period)
    as_of = statement.run.as_of
    w = _window(rule, period, as_of)
    lines = SalesLine.objects.filter(partner_id=statement.partner_id)
    if statement.run.last_line is not None:
        lines = lines.filter(pk__lte=statement.run.last_line)
    if w is None or result.reason in COUNTED_NOTHING:
        return lines.none()
    if prior:
        start, end = engine.prior_window(engine.window(rule, period))  # type: ignore[arg-type]
        return lines.filter(_accepted_categories(rule), date__gte=start, date__lte=end)
    lines = lines.filter(_accepted_categories(rule), date__gte=w[0], date__lte=w[1])
    takers = result.explanation.get("taken_by", [])
    if takers:
        for version in RebateRule.objects.filter(pk__in=statement.run.rules, code__in=takers):
            taker = parse_rule(version.spec)
            taken = _window(taker, period, as_of)
            if taken is not None:
                lines = lines.exclude(
                    _accepted_categories(taker) & Q(date__gte=taken[0], date__lte=taken[1])
                )
    return lines
