"""The rebate engine (rebates.md §3): one result per (rule evaluated, partner, period).

The partner's lines are aggregated in the database — one statement per computation over
the period's lines (and the prior year's, for growth rules), grouped by partner, category,
day and document type — then each rule takes its lines (filters, window, exclusive groups)
and the arithmetic runs in `Decimal` with one half-up rounding at the end (step 10)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When

from channelhub.lib.money import quantize
from maintenance.services import DEFAULT_POLICIES
from partners.models import Partner
from sales.choices import DocType
from sales.models import Category, SalesLine

from .periods import RebatePeriod, year_before
from .rules import Rule

ZERO = Decimal(0)
ONE_DAY = timedelta(days=1)
THOUSANDTH = Decimal("0.001")
WIDE_COLUMNS = 240  # beyond this many sums per partner, the row-per-group form
HUNDRED = Decimal(100)
# rebates.md §1's defaults, which are product.md's tier policy defaults
DEFAULT_MULTIPLIERS = {
    tier: fields["rebate_multiplier"] for tier, fields in DEFAULT_POLICIES.items()
}


@dataclass(slots=True)
class Result:
    rule: str
    partner_id: int
    partner_code: str
    amount: Decimal = ZERO
    reason: str = "ok"
    measure: Decimal | None = None
    base: Decimal | None = None
    prior: Decimal | None = None
    factor: Decimal = Decimal(1)
    thresholds: tuple[str, ...] = ()
    rate_percent: Decimal | None = None
    raw: Decimal | None = None
    multiplier: Decimal = Decimal(1)
    capped: bool = False
    lines: int = 0
    taken_by: tuple[str, ...] = ()  # rules of its group that came first

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule, "partner": self.partner_code, "amount": str(self.amount),
            "reason": self.reason,
            "measure": None if self.measure is None else str(self.measure),
            "base": None if self.base is None else str(self.base),
            "rate_percent": None if self.rate_percent is None else str(self.rate_percent),
            "multiplier": str(self.multiplier), "capped": self.capped,
            "factor": str(self.factor), "prior": None if self.prior is None else str(self.prior),
            "thresholds": self.thresholds, "raw": None if self.raw is None else str(self.raw),
            "lines": self.lines,
        }  # fmt: skip


# A partner's lines of one (category class, time segment) combination — categories that
# every evaluated rule treats alike, days between two window boundaries — signed and
# summed: (amount, quantity, line count). A partner's cells are keyed by the combination's
# index in `Plan.combinations`; combinations without lines are left out.
Cell = tuple[Decimal, Decimal, int]
Cells = dict[int, Cell]
Sums = dict[frozenset[int], Cell]  # a partner's cells added up, by the set of cells
NO_CELLS: Cells = {}


def window(rule: Rule, period: RebatePeriod) -> tuple[date, date] | None:
    """W = the period ∩ the rule's validity; None when the rule is not evaluated."""
    if rule.period_type != period.granularity:
        return None
    start, end = max(period.start, rule.valid_from), min(period.end, rule.valid_to)
    return (start, end) if start <= end else None


def prior_window(w: tuple[date, date]) -> tuple[date, date]:
    return year_before(w[0]), year_before(w[1], end=True)


class CategoryFilter:
    """A rule's category filters (rebates.md §2) over the category tree's paths."""

    def __init__(self, rule: Rule, paths: dict[str, str]) -> None:
        self.include = [paths[code] for code in rule.categories]
        self.exclude = [paths[code] for code in rule.exclude_categories]
        self.descendants = rule.include_descendants

    def _in(self, path: str, roots: list[str]) -> bool:
        if self.descendants:
            return any(path.startswith(root) for root in roots)
        return path in roots

    def accepts(self, path: str) -> bool:
        if self.exclude and self._in(path, self.exclude):
            return False
        return not self.include or self._in(path, self.include)


@dataclass
class Plan:
    """What a computation reads, worked out once: the evaluated rules and their windows, the
    time segments and category classes the lines are summed by, and each rule's accepted
    classes."""

    period: RebatePeriod
    as_of: date | None
    evaluated: list[tuple[Rule, tuple[date, date]]]
    spans: list[tuple[date, date]]
    cuts: list[date]
    classes: list[list[int]]  # category ids of each class
    accepted: dict[str, frozenset[int]]  # rule code → classes it accepts
    last_line: int | None = None  # count no sales line added after this one
    contexts: dict[str, RuleContext] = field(default_factory=dict)

    def last_day(self, w: tuple[date, date]) -> date:
        return min(w[1], self.as_of) if self.as_of else w[1]

    @cached_property
    def combinations(self) -> list[tuple[int, int]]:
        """(category class, segment) pairs a partner's lines are summed by: every class
        with every segment some rule reads (the others hold no line it needs)."""
        return [
            (kind, index)
            for kind in range(len(self.classes))
            for index, (start, _end) in enumerate(self.segments)
            if index and self._read(kind, start)
        ]  # fmt: skip

    def _read(self, kind: int, day: date) -> bool:
        """Whether some rule reads the lines of this class on this day (its window up to
        the accrual's day, or a growth rule's prior window)."""
        for rule, w in self.evaluated:
            if kind not in self.accepted[rule.code]:
                continue
            if w[0] <= day <= self.last_day(w):
                return True
            if rule.kind == "growth":
                low, high = prior_window(w)
                if low <= day <= high:
                    return True
        return False

    @cached_property
    def wide(self) -> bool:
        """One row per partner with a column per (class, segment) sum, unless that makes
        too many columns (then a row per partner, class and segment)."""
        return len(self.combinations) * (3 if self.needs_quantity else 2) <= WIDE_COLUMNS

    @cached_property
    def needs_quantity(self) -> bool:
        """Whether any rule reads net quantities (the statement can skip summing them)."""
        return any(rule.measure == "quantity" or rule.kind == "per_unit"
                   for rule, _w in self.evaluated)  # fmt: skip

    @cached_property
    def segments(self) -> list[tuple[date, date]]:
        """The days of each segment, by its index in `cell_sql`'s rows."""
        cuts = self.cuts
        return [(cuts[0], cuts[0])] + [
            (cuts[index - 1], cuts[index] - ONE_DAY) for index in range(1, len(cuts))
        ]

    @cached_property
    def index_of(self) -> dict[tuple[int, int], int]:
        """Each (class, segment) pair's index in `combinations`."""
        return {pair: index for index, pair in enumerate(self.combinations)}

    def _cells_between(self, accepted: frozenset[int], first: date, last: date) -> frozenset[int]:
        """The combinations of an accepted class whose days lie between first and last."""
        return frozenset(
            index for index, (kind, segment) in enumerate(self.combinations)
            if kind in accepted and first <= self.segments[segment][0]
            and self.segments[segment][1] <= last
        )  # fmt: skip

    def context(self, rule: Rule, w: tuple[date, date]) -> RuleContext:
        """What every partner's computation of `rule` shares, worked out once."""
        found = self.contexts.get(rule.code)
        if found is None:
            accepted, last = self.accepted[rule.code], self.last_day(w)
            prior = prior_window(w)
            found = self.contexts[rule.code] = RuleContext.of(
                rule, w, reads=self._cells_between(accepted, w[0], last),
                prior_reads=self._cells_between(accepted, *prior)
                if rule.kind == "growth" else frozenset(),
            )  # fmt: skip
        return found


@dataclass(frozen=True, slots=True)
class RuleContext:
    """A rule's window, the cells it reads (its window up to the last day, and a growth
    rule's prior window, in the classes it accepts), and its thresholds when nothing is
    pro-rated (the common case: t' = quantize(t) for every partner who joined before the
    window)."""

    start: date
    end: date
    days: int
    reads: frozenset[int]
    prior_reads: frozenset[int]
    tiers: tuple[tuple[Decimal, Decimal], ...]
    thresholds: tuple[str, ...]
    minimum: Decimal | None

    @classmethod
    def of(
        cls, rule: Rule, w: tuple[date, date], *, reads: frozenset[int],
        prior_reads: frozenset[int],
    ) -> RuleContext:  # fmt: skip
        tiers = tuple((quantize(threshold), rate) for threshold, rate in rule.tiers)
        return cls(
            start=w[0], end=w[1], days=(w[1] - w[0]).days + 1, reads=reads,
            prior_reads=prior_reads, tiers=tiers,
            thresholds=tuple(str(threshold) for threshold, _rate in tiers),
            minimum=None if rule.min_measure is None else quantize(rule.min_measure),
        )  # fmt: skip


def plan(
    rules: list[Rule], period: RebatePeriod, *, as_of: date | None = None,
    last_line: int | None = None,
) -> Plan:  # fmt: skip
    evaluated = [(rule, w) for rule in rules if (w := window(rule, period)) is not None]
    windows = {w for _rule, w in evaluated}
    spans = sorted(windows | {prior_window(w) for rule, w in evaluated if rule.kind == "growth"})
    cuts = {start for start, _end in spans} | {end + ONE_DAY for _start, end in spans}
    if as_of is not None:
        cuts.add(as_of + ONE_DAY)
    rows = list(Category.objects.values_list("pk", "code", "path"))
    paths = {code: path for _pk, code, path in rows}
    filters = [(rule.code, CategoryFilter(rule, paths)) for rule, _w in evaluated]
    by_signature: dict[tuple[bool, ...], list[int]] = defaultdict(list)
    for pk, _code, path in rows:
        by_signature[tuple(f.accepts(path) for _c, f in filters)].append(pk)
    signatures = list(by_signature)
    accepted = {
        code: frozenset(kind for kind, signature in enumerate(signatures) if signature[index])
        for index, (code, _filter) in enumerate(filters)
    }
    return Plan(
        period=period, as_of=as_of, last_line=last_line, evaluated=evaluated, spans=spans,
        cuts=sorted(cuts),
        classes=[by_signature[signature] for signature in signatures], accepted=accepted,
    )  # fmt: skip


def compute(
    rules: list[Rule],
    period: RebatePeriod,
    *,
    partners: QuerySet[Partner],
    multipliers: dict[str, Decimal] | None = None,
    targets: dict[tuple[int, str], Decimal] | None = None,
    as_of: date | None = None,
) -> list[Result]:
    """Every evaluated rule's result for every partner of `partners` (their lines read
    here, in one statement), partner by partner in code order."""
    planned = plan(rules, period, as_of=as_of)
    if not planned.evaluated:
        return []
    cells = _cells(planned, partners)
    rows = list(partners.order_by("code").values(*PARTNER_FIELDS))
    each = each_partner(planned, rows, cells, multipliers=multipliers, targets=targets)
    return [result for results in each for result in results]


PARTNER_FIELDS = ("pk", "code", "tier", "cooperation_start_date")


def each_partner(
    planned: Plan,
    partners: list[dict[str, Any]],
    cells: dict[int, Cells],
    *,
    multipliers: dict[str, Decimal] | None = None,
    targets: dict[tuple[int, str], Decimal] | None = None,
) -> Iterator[list[Result]]:
    """Each partner's results in turn, computed as they are asked for (a batch job writes
    one partner's while the database stores the previous one's)."""
    if not planned.evaluated:
        return
    multipliers = {**DEFAULT_MULTIPLIERS, **(multipliers or {})}
    targets = targets or {}
    order = sorted(range(len(planned.evaluated)),
                   key=lambda index: _group_order(planned.evaluated[index][0]))  # fmt: skip
    steps = [(index, planned.evaluated[index][0],
              planned.context(*planned.evaluated[index])) for index in order]  # fmt: skip
    grouped = any(rule.exclusive_group for rule, _w in planned.evaluated)
    taken: dict[str, set[int]] = {}
    takers: dict[str, list[str]] = {}
    for partner in partners:
        mine = cells.get(partner["pk"], NO_CELLS)
        if grouped:  # per exclusive group: the cells taken, by which rules
            taken, takers = defaultdict(set), defaultdict(list)
        results: list[Any] = [None] * len(steps)
        sums: Sums = {}
        for index, rule, context in steps:
            results[index] = _one(rule, context, partner, mine, sums, taken, takers,
                                  multipliers, targets)  # fmt: skip
        yield results


def _group_order(rule: Rule) -> tuple[bool, str, int, int]:
    """Grouped rules first, inside a group the higher priority, then the earlier created."""
    return (rule.exclusive_group == "", rule.exclusive_group, -rule.priority, rule.order)


def cell_sql(planned: Plan, partners: QuerySet[Partner] | None = None) -> tuple[str, list[Any]]:
    """One grouped statement over the lines of every span, in partner order: a row per
    partner with, for each category class and time segment a rule reads, the signed
    amount, the signed quantity (when a rule reads it) and the line count — or, when that
    is too wide, a row per partner, class and segment (`long_cell_query`)."""
    if not planned.wide:
        return long_cell_query(planned, partners).query.sql_with_params()  # type: ignore[return-value]
    return _wide_sql(planned, partners)


def _wide_sql(planned: Plan, partners: QuerySet[Partner] | None) -> tuple[str, list[Any]]:
    """The row-per-partner statement, written out: a line's class is read once, from the
    list of classes joined to the lines (a category the list leaves out is class 0), not
    tested against each class's categories in every sum's filter (a third of the
    statement's time at 100 000 partners)."""
    qn = connection.ops.quote_name

    def column(name: str) -> str:
        return "l." + qn(SalesLine._meta.get_field(name).column)  # type: ignore[union-attr,arg-type]

    params: list[Any] = []
    listed = [(pk, kind) for kind, ids in enumerate(planned.classes) if kind for pk in ids]
    classes = join = ""
    kind = "0"
    if listed:
        classes = (
            f"WITH classes (category_id, kind) AS (VALUES {', '.join(['(%s, %s)'] * len(listed))}) "
        )
        params += [value for pair in listed for value in pair]
        join = f" LEFT JOIN classes k ON k.category_id = {column('category')}"
        kind = "COALESCE(k.kind, 0)"
    credit = f"{column('doc_type')} = '{DocType.CREDIT_NOTE}'"
    amount = f"CASE WHEN {credit} THEN -{column('net_amount')} ELSE {column('net_amount')} END"
    quantity = f"CASE WHEN {credit} THEN -{column('quantity')} ELSE {column('quantity')} END"
    sums = []
    for cell_kind, segment in planned.combinations:
        start, end = planned.segments[segment]
        where = f"FILTER (WHERE {kind} = {cell_kind} AND {column('date')} BETWEEN %s AND %s)"
        sums.append(f"SUM({amount}) {where}")
        params += [start, end]
        if planned.needs_quantity:
            sums.append(f"SUM({quantity}) {where}")
            params += [start, end]
        sums.append(f"COUNT(*) {where}")
        params += [start, end]
    conditions = [" OR ".join([f"{column('date')} BETWEEN %s AND %s"] * len(planned.spans))]
    params += [day for span in planned.spans for day in span]
    if planned.last_line is not None:
        conditions.append(f"{column('id')} <= %s")
        params.append(planned.last_line)
    if partners is not None:
        chosen, chosen_params = partners.order_by().values("pk").query.sql_with_params()
        conditions.append(f"{column('partner')} IN ({chosen})")
        params += chosen_params
    where = " AND ".join(f"({condition})" for condition in conditions)
    partner = column("partner")
    sql = (
        f"{classes}SELECT {', '.join([partner, *sums])} "  # noqa: S608 (names and constants)
        f"FROM {qn(SalesLine._meta.db_table)} l{join} WHERE {where} "
        f"GROUP BY {partner} ORDER BY {partner}"
    )
    return sql, params


def _in_spans(planned: Plan, partners: QuerySet[Partner] | None) -> Q:
    in_spans = Q()
    for start, end in planned.spans:
        in_spans |= Q(date__gte=start, date__lte=end)
    if planned.last_line is not None:
        in_spans &= Q(pk__lte=planned.last_line)
    if partners is not None:
        in_spans &= Q(partner__in=partners)
    return in_spans


def long_cell_query(planned: Plan, partners: QuerySet[Partner] | None) -> QuerySet[Any]:
    """Rows (partner, class, segment, amount, quantity, count), in partner order."""
    cuts = planned.cuts
    segment = Case(*[When(date__lt=cut, then=Value(index)) for index, cut in enumerate(cuts)],
                   default=Value(len(cuts)), output_field=IntegerField())  # fmt: skip
    kind: Any = Value(0)
    if len(planned.classes) > 1:
        kind = Case(*[When(category_id__in=ids, then=Value(index))
                      for index, ids in enumerate(planned.classes[1:], start=1)],
                    default=Value(0), output_field=IntegerField())  # fmt: skip
    credit = Q(doc_type=DocType.CREDIT_NOTE)
    return (
        SalesLine.objects.filter(_in_spans(planned, partners))
        .annotate(segment=segment, kind=kind)
        .values_list("partner_id", "kind", "segment")
        .annotate(
            amount=Sum(Case(When(credit, then=-F("net_amount")), default=F("net_amount"))),
            quantity=Sum(Case(When(credit, then=-F("quantity")), default=F("quantity"))),
            count=Count("id"),
        )
        .order_by("partner_id")
    )


def cells_of(planned: Plan, row: tuple[Any, ...], *, exact: bool = True) -> Cells:
    """A row of `cell_sql` as the partner's cells (combinations without lines left out).
    `exact`: PostgreSQL's sums are Decimals; SQLite sums decimals as floats (the ORM may pass
    them as Decimal), which are brought back to cents and thousandths."""
    if not planned.wide:  # (partner, class, segment, amount, quantity, count)
        _partner, kind, segment, amount, quantity, count = row
        index = planned.index_of.get((kind, segment))
        if index is None:  # days no rule reads (after an accrual's day)
            return {}
        if not exact:
            amount = quantize(Decimal(str(amount)))
            quantity = Decimal(str(quantity)).quantize(THOUSANDTH)
        return {index: (amount, quantity, count)}
    found = {}
    width = 3 if planned.needs_quantity else 2
    position = 1
    for index in range(len(planned.combinations)):
        count = row[position + width - 1]
        if count:  # lines in it
            amount = row[position]
            quantity = row[position + 1] if width == 3 else ZERO
            if not exact:
                amount = quantize(Decimal(str(amount)))
                quantity = Decimal(str(quantity)).quantize(THOUSANDTH)
            found[index] = (amount, quantity, count)
        position += width
    return found


def _cells(planned: Plan, partners: QuerySet[Partner]) -> dict[int, Cells]:
    found: dict[int, Cells] = defaultdict(dict)
    exact = connection.vendor == "postgresql"
    try:
        sql, params = cell_sql(planned, partners)
    except EmptyResultSet:  # no partner to compute
        return found
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(20_000):
            for row in rows:
                found[row[0]].update(cells_of(planned, row, exact=exact))
    return found


def _sums(cells: Cells, indexes: Any) -> Cell:
    """The cells' amount, quantity and line count added up."""
    amount = quantity = ZERO
    count = 0
    for index in indexes:
        cell = cells[index]
        amount += cell[0]
        quantity += cell[1]
        count += cell[2]
    return amount, quantity, count


def _summed(cells: Cells, reads: frozenset[int], sums: Sums) -> Cell:
    """The sums of a partner's cells that `reads` holds, added up once per partner."""
    found = sums.get(reads)
    if found is None:
        found = sums[reads] = _sums(cells, [index for index in cells if index in reads])
    return found


def _scaled(value: Decimal, active: int, days: int) -> Decimal:
    """t' = quantize(t × active_days / window_days, 0.01, half-up), f never rounded."""
    return quantize(value * active / days)


def _one(
    rule: Rule, context: RuleContext, partner: dict[str, Any], cells: Cells, sums: Sums,
    taken: dict[str, set[int]], takers: dict[str, list[str]],
    multipliers: dict[str, Decimal], targets: dict[tuple[int, str], Decimal],
) -> Result:  # fmt: skip
    result = Result(rule.code, partner["pk"], partner["code"])
    joined: date = partner["cooperation_start_date"]
    # 1. Eligibility
    if rule.eligible_tiers and partner["tier"] not in rule.eligible_tiers:
        result.reason = "tier_not_eligible"
        return result
    if joined > context.end:
        result.reason = "not_active"
        return result
    # 2. Lines: inside W (up to as_of), through the filters, not taken by the group
    reads = context.reads
    if rule.exclusive_group:
        gone = taken[rule.exclusive_group]
        mine = [index for index in cells if index in reads and index not in gone]
        # it passed step 1: it takes its lines, even if it pays 0
        result.taken_by = tuple(takers[rule.exclusive_group])
        takers[rule.exclusive_group].append(rule.code)
        gone.update(mine)
        net_amount, net_quantity, result.lines = _sums(cells, mine)
    else:  # rules without a group that read the same cells share their sums
        net_amount, net_quantity, result.lines = _summed(cells, reads, sums)
    # 3.
    measure = net_amount if rule.measure == "amount" else net_quantity
    result.measure, result.base = measure, net_amount
    # 4.
    if net_amount <= 0 or measure <= 0 or (rule.kind == "per_unit" and net_quantity <= 0):
        result.reason = "no_positive_sales"
        return result
    # 5. Pro-rating (thresholds, minimum, targets only)
    days = active = context.days
    if rule.prorate_new_partners and joined > context.start:
        active = (context.end - joined).days + 1
        result.factor = Decimal(active) / Decimal(days)
    # 6. Gate
    if rule.min_measure is not None:
        minimum = context.minimum if active == days else _scaled(rule.min_measure, active, days)
        if measure < minimum:  # type: ignore[operator]
            result.reason = "below_minimum"
            return result
    # 7. Raw amount
    raw = _raw(rule, result, measure, net_amount, net_quantity, active, days, context, cells,
               sums, partner, targets)  # fmt: skip
    if raw is None:
        return result
    result.raw = raw
    # 8–10
    if rule.use_tier_multiplier:
        result.multiplier = multipliers.get(partner["tier"], Decimal(1))
    value = raw * result.multiplier
    if rule.cap_amount is not None and value > rule.cap_amount:
        value, result.capped = rule.cap_amount, True
    result.amount = quantize(value)
    return result


def _raw(
    rule: Rule, result: Result, measure: Decimal, base: Decimal, quantity: Decimal,
    active: int, days: int, context: RuleContext, cells: Cells, sums: Sums,
    partner: dict[str, Any], targets: dict[tuple[int, str], Decimal],
) -> Decimal | None:  # fmt: skip
    """Step 7; None when the result is 0 with a reason already set."""
    if rule.kind == "flat":
        result.rate_percent = rule.rate_percent
        return base * rule.rate_percent / HUNDRED  # type: ignore[operator]
    if rule.kind == "per_unit":
        return quantity * rule.unit_amount  # type: ignore[operator]
    if rule.kind == "volume_tiered":
        if active == days:
            scaled = context.tiers
            result.thresholds = context.thresholds
        else:
            scaled = tuple((_scaled(t, active, days), rate) for t, rate in rule.tiers)
            result.thresholds = tuple(str(threshold) for threshold, _rate in scaled)
        for threshold, rate in reversed(scaled):  # the highest tier reached
            if threshold <= measure:
                result.rate_percent = rate
                break
        else:
            result.reason = "below_first_tier"
            return None
        if rule.tier_mode == "retroactive":
            return base * result.rate_percent / HUNDRED
        total = ZERO
        for index, (threshold, rate) in enumerate(scaled):
            upper = scaled[index + 1][0] if index + 1 < len(scaled) else None
            band = (measure if upper is None else min(measure, upper)) - threshold
            total += rate / HUNDRED * max(ZERO, band)
        return total
    if rule.kind == "growth":
        prior_amount, prior_quantity, _count = _summed(cells, context.prior_reads, sums)
        prior = prior_amount if rule.measure == "amount" else prior_quantity
        result.prior = prior
        if prior <= 0:
            if rule.zero_base_policy == "no_rebate":
                result.reason = "no_base"
                return None
            prior, gain = ZERO, HUNDRED  # growth counts as 100 %
            for growth, rate in reversed(rule.growth_tiers):
                if growth <= gain:
                    result.rate_percent = rate
                    break
        else:
            gain = (measure - prior) * HUNDRED  # growth % ≥ g ⇔ gain ≥ g × prior, no division
            for growth, rate in reversed(rule.growth_tiers):
                if gain >= growth * prior:
                    result.rate_percent = rate
                    break
        if result.rate_percent is None:
            result.reason = "below_first_tier"
            return None
        payout = base if rule.growth_payout_base == "current_total" else max(ZERO, measure - prior)
        return payout * result.rate_percent / HUNDRED
    # target
    target = targets.get((partner["pk"], rule.code))
    if target is None:
        result.reason = "no_base"
        return None
    scaled_target = quantize(target) if active == days else _scaled(target, active, days)
    result.thresholds = (str(scaled_target),)
    achieved = measure * HUNDRED  # achievement % ≥ a ⇔ measure × 100 ≥ a × target
    for achievement, rate in reversed(rule.achievement_tiers):
        if achieved >= achievement * scaled_target:
            result.rate_percent = rate
            return base * rate / HUNDRED
    result.reason = "below_first_tier"
    return None


def deltas(amounts: dict[Any, Decimal], settled: dict[Any, Decimal]) -> dict[Any, Decimal]:
    """rebates.md §4 for one partner and period, per rule: delta = amount now − what was
    settled; nothing where it is 0; what was settled for a rule without a result now is
    clawed back whole. Settling the deltas makes the settled sums equal the amounts."""
    found = {key: amount - settled.get(key, ZERO) for key, amount in amounts.items()}
    found.update({key: -amount for key, amount in settled.items() if key not in amounts})
    return {key: delta for key, delta in found.items() if delta != 0}


def settlement(
    results: list[Result],
    settled: dict[tuple[str, int], Decimal],
    codes: dict[int, str] | None = None,
) -> list[dict[str, Any]]:
    """The case file's settlement rows: `deltas` per (rule, partner)."""
    names = {**(codes or {}), **{result.partner_id: result.partner_code for result in results}}
    amounts = {(result.rule, result.partner_id): result.amount for result in results}
    return [
        {"rule": rule, "partner": names.get(partner_id, str(partner_id)), "delta": str(delta)}
        for (rule, partner_id), delta in deltas(amounts, settled).items()
    ]


def totals(results: list[Result], codes: list[str]) -> dict[str, str]:
    sums = dict.fromkeys(codes, ZERO)
    for result in results:
        sums[result.partner_code] += result.amount
    return {code: str(quantize(amount)) for code, amount in sums.items()}
