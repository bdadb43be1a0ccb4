"""A rebate rule (rebates.md §2) as the engine reads it: parsed from its stored JSON (or a
case file), with every money and rate a `Decimal`, and checked — a configuration that
breaks the rules is refused with a message naming the field."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from partners.choices import Tier

KINDS = ("flat", "per_unit", "volume_tiered", "growth", "target")
PERIOD_TYPES = ("month", "quarter", "half_year", "year")
FIELDS = {
    "code", "kind", "period_type", "valid_from", "valid_to", "measure", "rate_percent",
    "unit_amount", "tiers", "tier_mode", "min_measure", "cap_amount", "categories",
    "include_descendants", "exclude_categories", "eligible_tiers", "use_tier_multiplier",
    "prorate_new_partners", "growth_tiers", "growth_payout_base", "zero_base_policy",
    "achievement_tiers", "exclusive_group", "priority",
}  # fmt: skip
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Rule:
    code: str
    kind: str
    period_type: str
    valid_from: date
    valid_to: date
    measure: str = "amount"
    rate_percent: Decimal | None = None
    unit_amount: Decimal | None = None
    tiers: tuple[tuple[Decimal, Decimal], ...] = ()
    tier_mode: str = "retroactive"
    min_measure: Decimal | None = None
    cap_amount: Decimal | None = None
    categories: tuple[str, ...] = ()
    include_descendants: bool = True
    exclude_categories: tuple[str, ...] = ()
    eligible_tiers: tuple[str, ...] = ()
    use_tier_multiplier: bool = True
    prorate_new_partners: bool = True
    growth_tiers: tuple[tuple[Decimal, Decimal], ...] = ()
    growth_payout_base: str = "current_total"
    zero_base_policy: str = "no_rebate"
    achievement_tiers: tuple[tuple[Decimal, Decimal], ...] = ()
    exclusive_group: str = ""
    priority: int = 0
    order: int = field(default=0, compare=False)  # creation order: ties inside a group


def _error(name: str, message: str) -> ValidationError:
    return ValidationError({name: message})


def _decimal(data: dict[str, Any], name: str, *, minimum: Decimal = Decimal(0),
             maximum: Decimal | None = None) -> Decimal | None:  # fmt: skip
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, float) or isinstance(value, bool) or not isinstance(value, str | int):
        raise _error(name, f"{name}: give a decimal as a string, not {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise _error(name, f"{name}: {value!r} is not a number") from error
    if not number.is_finite() or number < minimum or (maximum is not None and number > maximum):
        raise _error(name, f"{name}: {value} is out of range")
    return number


def _pairs(data: dict[str, Any], name: str, *, rate_max: Decimal = HUNDRED,
           signed_first: bool = False) -> tuple[tuple[Decimal, Decimal], ...]:  # fmt: skip
    value = data.get(name) or []
    if not isinstance(value, list):
        raise _error(name, f"{name}: a list of [threshold, rate_percent] pairs")
    pairs: list[tuple[Decimal, Decimal]] = []
    for index, pair in enumerate(value):
        if not isinstance(pair, list) or len(pair) != 2:
            raise _error(name, f"{name}[{index}]: a [threshold, rate_percent] pair")
        item = {"threshold": pair[0], "rate": pair[1]}
        low = Decimal("-1e12") if signed_first else Decimal(0)
        try:
            threshold = _decimal(item, "threshold", minimum=low)
            rate = _decimal(item, "rate", maximum=rate_max)
        except ValidationError as error:
            raise _error(name, f"{name}[{index}]: {'; '.join(error.messages)}") from error
        if threshold is None or rate is None:
            raise _error(name, f"{name}[{index}]: both values are required")
        if pairs and threshold <= pairs[-1][0]:
            raise _error(name, f"{name}: thresholds must be strictly ascending")
        pairs.append((threshold, rate))
    return tuple(pairs)


def _date(data: dict[str, Any], name: str) -> date:
    value = data.get(name)
    try:
        return date.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        raise _error(name, f"{name}: give a date as YYYY-MM-DD") from error


def _choice(data: dict[str, Any], name: str, choices: tuple[str, ...], default: str) -> str:
    value = data.get(name, default)
    if value not in choices:
        raise _error(name, f"{name}: one of {', '.join(choices)}")
    return str(value)


def _codes(data: dict[str, Any], name: str) -> tuple[str, ...]:
    value = data.get(name) or []
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise _error(name, f"{name}: a list of codes")
    return tuple(value)


def _tiers(data: dict[str, Any]) -> tuple[str, ...]:
    tiers = _codes(data, "eligible_tiers")
    unknown = set(tiers) - set(Tier.values)
    if unknown:
        raise _error(
            "eligible_tiers", f"eligible_tiers: unknown tier(s) {', '.join(sorted(unknown))}"
        )
    return tiers


def _flag(data: dict[str, Any], name: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise _error(name, f"{name}: true or false")
    return value


def parse_rule(data: dict[str, Any], *, order: int = 0) -> Rule:
    """A rule from its JSON fields; a ValidationError names the field at fault."""
    unknown = set(data) - FIELDS
    if unknown:
        raise _error("rule", f"unknown field(s): {', '.join(sorted(unknown))}")
    code = data.get("code")
    if not isinstance(code, str) or not code.strip():
        raise _error("code", "code: required")
    kind = _choice(data, "kind", KINDS, "")
    rule = Rule(
        code=code,
        kind=kind,
        period_type=_choice(data, "period_type", PERIOD_TYPES, ""),
        valid_from=_date(data, "valid_from"),
        valid_to=_date(data, "valid_to"),
        measure=_choice(data, "measure", ("amount", "quantity"), "amount"),
        rate_percent=_decimal(data, "rate_percent", maximum=HUNDRED),
        unit_amount=_decimal(data, "unit_amount"),
        tiers=_pairs(data, "tiers"),
        tier_mode=_choice(data, "tier_mode", ("retroactive", "incremental"), "retroactive"),
        min_measure=_decimal(data, "min_measure"),
        cap_amount=_decimal(data, "cap_amount"),
        categories=_codes(data, "categories"),
        include_descendants=_flag(data, "include_descendants", True),
        exclude_categories=_codes(data, "exclude_categories"),
        eligible_tiers=_tiers(data),
        use_tier_multiplier=_flag(data, "use_tier_multiplier", True),
        prorate_new_partners=_flag(data, "prorate_new_partners", True),
        growth_tiers=_pairs(data, "growth_tiers", signed_first=True),
        growth_payout_base=_choice(
            data, "growth_payout_base", ("current_total", "increment"), "current_total"
        ),  # fmt: skip
        zero_base_policy=_choice(
            data, "zero_base_policy", ("no_rebate", "full_growth"), "no_rebate"
        ),  # fmt: skip
        achievement_tiers=_pairs(data, "achievement_tiers"),
        exclusive_group=str(data.get("exclusive_group") or ""),
        priority=_integer(data, "priority"),
        order=order,
    )
    _check_kind(rule)
    return rule


def _integer(data: dict[str, Any], name: str) -> int:
    value = data.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _error(name, f"{name}: a whole number")
    return value


def _check_kind(rule: Rule) -> None:
    if rule.valid_to < rule.valid_from:
        raise _error("valid_to", "valid_to: before valid_from")
    needs = {
        "flat": ("rate_percent", rule.rate_percent is not None),
        "per_unit": ("unit_amount", rule.unit_amount is not None),
        "volume_tiered": ("tiers", bool(rule.tiers)),
        "growth": ("growth_tiers", bool(rule.growth_tiers)),
        "target": ("achievement_tiers", bool(rule.achievement_tiers)),
    }
    name, present = needs[rule.kind]
    if not present:
        raise _error(name, f"{name}: required for a {rule.kind} rule")
    if (
        rule.kind == "volume_tiered"
        and rule.tier_mode == "incremental"
        and (rule.measure == "quantity")
    ):
        raise _error("tier_mode", "tier_mode: incremental works only with measure = amount")
