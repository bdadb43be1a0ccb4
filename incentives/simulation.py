"""`rebates simulate`: a case file (rebates.md §5) loaded into the real database inside a
transaction, the real engine run on it, the results as JSON, and everything rolled back."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from partners.choices import PartnerType, Province, Tier
from partners.models import Partner
from sales.models import Category, SalesLine

from . import engine
from .periods import RebatePeriod
from .rules import parse_rule

CASE_KEYS = {"period", "as_of", "multipliers", "categories", "partners", "rules", "targets",
             "lines", "settled", "expected", "why"}  # fmt: skip
PREFIX = "sim:"


class CaseError(Exception):
    """A bad case file: the message names the problem."""


class _Rollback(Exception):
    pass


ROW_KEYS = {
    "categories": ({"code", "parent"}, {"code"}),
    "partners": ({"code", "tier", "joined_on"}, {"code", "tier", "joined_on"}),
    "lines": ({"partner", "doc_type", "date", "category", "product", "quantity", "net_amount"},
              {"partner", "doc_type", "date", "category", "quantity", "net_amount"}),
    "targets": ({"partner", "rule", "period", "amount"}, {"partner", "rule", "period", "amount"}),
    "settled": ({"partner", "rule", "period", "amount"}, {"partner", "rule", "period", "amount"}),
}  # fmt: skip


class _Float(str):
    """A JSON number with a fraction: refused wherever the case is read."""


def _floats(value: Any, where: str) -> None:
    if isinstance(value, _Float):
        raise CaseError(f"{where}: a float ({value}) where a decimal string is expected")
    if isinstance(value, dict):
        for key, inner in value.items():
            _floats(inner, f"{where}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _floats(inner, f"{where}[{index}]")


def load(text: str) -> dict[str, Any]:
    try:
        case = json.loads(text, parse_float=_Float)
    except json.JSONDecodeError as error:
        raise CaseError(f"not JSON: {error}") from error
    if not isinstance(case, dict):
        raise CaseError("the case must be a JSON object")
    unknown = set(case) - CASE_KEYS
    if unknown:
        raise CaseError(f"unknown key(s): {', '.join(sorted(unknown))}")
    for key in ("period", "partners", "rules", "lines"):
        if key not in case:
            raise CaseError(f"missing key: {key}")
    for key, value in case.items():
        if key not in ("expected", "why"):  # those two are ignored
            _floats(value, key)
    if not isinstance(case["period"], str):
        raise CaseError("period: a string such as 2025-Q1")
    for key, (allowed, required) in ROW_KEYS.items():
        rows = case.get(key) or []
        if not isinstance(rows, list):
            raise CaseError(f"{key}: a list")
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                raise CaseError(f"{key}[{index}]: an object")
            if set(row) - allowed:
                raise CaseError(
                    f"{key}[{index}]: unknown key(s) {', '.join(sorted(set(row) - allowed))}"
                )
            if required - set(row):
                raise CaseError(f"{key}[{index}]: missing {', '.join(sorted(required - set(row)))}")
    if not isinstance(case["rules"], list):
        raise CaseError("rules: a list")
    return case


def _decimal(value: Any, where: str, *, places: int | None = None,
             positive: bool = False) -> Decimal:  # fmt: skip
    if not isinstance(value, str) or isinstance(value, _Float):
        raise CaseError(f"{where}: give a decimal as a string")
    try:
        number = Decimal(value)
    except Exception as error:
        raise CaseError(f"{where}: {value!r} is not a decimal") from error
    if not number.is_finite():
        raise CaseError(f"{where}: {value!r} is not a finite decimal")
    if places is not None and (number < 0 or number != number.quantize(Decimal(1).scaleb(-places))
                               or abs(number) >= Decimal(10) ** (14 - places)):  # fmt: skip
        raise CaseError(f"{where}: {value!r} must be ≥ 0 with at most {places} decimals")
    if positive and number <= 0:
        raise CaseError(f"{where}: must be > 0")
    return number


def _date(value: Any, where: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as error:
        raise CaseError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from error


def simulate(text: str) -> dict[str, Any]:
    """Run a case; raises CaseError on a bad one. Nothing is left in the database."""
    case = load(text)
    output: dict[str, Any] = {}
    try:
        with transaction.atomic():
            output = _run(case)
            raise _Rollback
    except _Rollback:
        pass
    except (ValidationError, IntegrityError, DataError) as error:  # a value the tables refuse
        raise CaseError(f"a value the database refuses: {error}") from error
    return output


def _run(case: dict[str, Any]) -> dict[str, Any]:
    try:
        period = RebatePeriod.parse(case["period"])
    except ValidationError as error:
        raise CaseError("; ".join(error.messages)) from error
    as_of = _date(case["as_of"], "as_of") if case.get("as_of") else None
    given = case.get("multipliers")
    if given is not None and not isinstance(given, dict):
        raise CaseError("multipliers: an object of tier → multiplier")
    if given and set(given) - set(Tier.values):
        raise CaseError(
            f"multipliers: unknown tier(s) {', '.join(sorted(set(given) - set(Tier.values)))}"
        )
    multipliers = {tier: _decimal(value, f"multipliers.{tier}")
                   for tier, value in (given or {}).items()}  # fmt: skip
    if given is not None:  # a tier left out gets 1.00
        multipliers = {tier: multipliers.get(tier, Decimal("1.00")) for tier in Tier.values}
    categories = _categories(case.get("categories") or [])
    partners = _partners(case["partners"])
    rules = []
    for order, data in enumerate(case["rules"]):
        if not isinstance(data, dict):
            raise CaseError(f"rules[{order}]: a rule object")
        for name in ("categories", "exclude_categories"):
            for code in data.get(name) or []:
                if code not in categories:
                    raise CaseError(f"rules[{order}].{name}: unknown category {code!r}")
        mapped = dict(data)
        for name in ("categories", "exclude_categories"):
            if name in data:
                mapped[name] = [PREFIX + code for code in data[name] or []]
        try:
            rules.append(parse_rule(mapped, order=order))
        except ValidationError as error:
            raise CaseError(
                f"rules[{order}] ({data.get('code')}): {'; '.join(error.messages)}"
            ) from error
    codes = [rule.code for rule in rules]
    if len(set(codes)) != len(codes):
        raise CaseError("rules: codes must be unique")
    _lines(case["lines"], partners, categories)
    targets = {}
    for index, row in enumerate(case.get("targets") or []):
        partner = _ref(partners, row.get("partner"), f"targets[{index}].partner")
        if row.get("rule") not in codes:
            raise CaseError(f"targets[{index}].rule: unknown rule {row.get('rule')!r}")
        if row.get("period") != case["period"]:
            continue
        targets[partner.pk, row["rule"]] = _decimal(
            row.get("amount"), f"targets[{index}].amount", positive=True
        )
    settled: dict[tuple[str, int], Decimal] = {}
    for index, row in enumerate(case.get("settled") or []):
        partner = _ref(partners, row.get("partner"), f"settled[{index}].partner")
        if row.get("rule") not in codes:
            raise CaseError(f"settled[{index}].rule: unknown rule {row.get('rule')!r}")
        if row.get("period") != case["period"]:
            continue
        key = (row["rule"], partner.pk)
        settled[key] = settled.get(key, Decimal(0)) + _decimal(
            row.get("amount"), f"settled[{index}].amount"
        )
    ids = Partner.objects.filter(pk__in=[p.pk for p in partners.values()])
    results = engine.compute(rules, period, partners=ids, multipliers=multipliers or None,
                             targets=targets, as_of=as_of)  # fmt: skip
    code_of = {partner.pk: code for code, partner in partners.items()}
    for result in results:
        result.partner_code = code_of[result.partner_id]
    return {
        "period": case["period"],
        "results": [result.as_json() for result in results],
        "totals": engine.totals(results, list(partners)),
        "settlement": engine.settlement(results, settled, code_of),
    }


def _ref(found: dict[str, Any], code: Any, where: str) -> Any:
    if code not in found:
        raise CaseError(f"{where}: unknown {code!r}")
    return found[code]


def _categories(rows: list[dict[str, Any]]) -> dict[str, Category]:
    from sales.services import save_category

    parent_of: dict[str, Any] = {}
    for index, row in enumerate(rows):
        code = row.get("code")
        if not isinstance(code, str) or not 0 < len(code) <= 26 or code in parent_of:
            raise CaseError(f"categories[{index}].code: missing, repeated or over 26 characters")
        parent_of[code] = row.get("parent")
    for index, parent in enumerate(parent_of.values()):
        if parent is not None and parent not in parent_of:
            raise CaseError(f"categories[{index}].parent: unknown category {parent!r}")
    made: dict[str, Category] = {}
    while len(made) < len(parent_of):  # parents first, whatever the file's order
        ready = [
            code
            for code, parent in parent_of.items()
            if code not in made and (parent is None or parent in made)
        ]
        if not ready:
            raise CaseError("categories: the parents form a cycle")
        for code in ready:
            parent = parent_of[code]
            made[code] = save_category(
                Category(code=PREFIX + code, name=code, parent=made[parent] if parent else None),
                saved_by=None,
            )
    return made


def _partners(rows: list[dict[str, Any]]) -> dict[str, Partner]:
    made: dict[str, Partner] = {}
    for index, row in enumerate(rows):
        code = row.get("code")
        if not isinstance(code, str) or not 0 < len(code) <= 26 or code in made:
            raise CaseError(f"partners[{index}].code: missing, repeated or over 26 characters")
        if row.get("tier") not in Tier.values:
            raise CaseError(f"partners[{index}].tier: one of {', '.join(Tier.values)}")
        made[code] = Partner.objects.create(
            code=f"{PREFIX}{code}", legal_name=f"{PREFIX}{code}", tier=row["tier"],
            partner_type=PartnerType.DISTRIBUTOR, province=Province.GUANGDONG,
            cooperation_start_date=_date(row.get("joined_on"), f"partners[{index}].joined_on"),
        )  # fmt: skip
    return made


def _lines(rows: list[dict[str, Any]], partners: dict[str, Partner],
           categories: dict[str, Category]) -> None:  # fmt: skip
    lines = []
    for index, row in enumerate(rows):
        where = f"lines[{index}]"
        doc_type = row.get("doc_type")
        if doc_type not in ("invoice", "credit_note"):
            raise CaseError(f"{where}.doc_type: invoice or credit_note")
        lines.append(SalesLine(
            source="simulate", doc_type=doc_type, doc_number=f"SIM-{index}", line_number=1,
            date=_date(row.get("date"), f"{where}.date"),
            partner=_ref(partners, row.get("partner"), f"{where}.partner"),
            category=_ref(categories, row.get("category"), f"{where}.category"),
            quantity=_decimal(row.get("quantity"), f"{where}.quantity", places=3),
            net_amount=_decimal(row.get("net_amount"), f"{where}.net_amount", places=2),
            credited_doc_number="SIM-INVOICE" if doc_type == "credit_note" else "",
        ))  # fmt: skip
    SalesLine.objects.bulk_create(lines)
