"""Invariants of the rebate arithmetic (rebates.md §3–4), over generated inputs: the
engine's per-(rule, partner) step run on generated cells of lines, and the real approval
path on the database."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from incentives import engine, services
from incentives.engine import Result
from incentives.models import SettlementLine
from incentives.periods import RebatePeriod
from incentives.rules import parse_rule

Q1 = (date(2025, 1, 1), date(2025, 3, 31))
Q1_PERIOD = RebatePeriod.parse("2025-Q1")
PARTNER = {"pk": 1, "code": "P1", "tier": "regular", "cooperation_start_date": date(2023, 1, 1)}


def bucket(day, credit, amount, quantity):
    """A line of Q1 (every line in the one category class the rule accepts)."""
    sign = -1 if credit else 1
    return sign * amount, sign * quantity, 1


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2000000"), places=2)
buckets = st.lists(
    st.builds(
        bucket,
        day=st.integers(0, 89).map(lambda n: Q1[0] + timedelta(days=n)),
        credit=st.booleans(),
        amount=money,
        quantity=st.decimals(min_value=0, max_value=1000, places=3),
    ),
    max_size=12,
)
# A rebate ladder: thresholds ascending and rates that do not fall as sales grow.
tier_lists = st.lists(
    st.tuples(st.integers(0, 3_000_000), st.decimals(min_value=0, max_value=20, places=2)),
    min_size=1,
    max_size=5,
    unique_by=lambda pair: pair[0],
).map(
    lambda pairs: [
        [str(threshold), str(rate)]
        for threshold, rate in zip(
            sorted(t for t, _r in pairs), sorted(r for _t, r in pairs), strict=True
        )
    ]
)


def run(rule_fields, lines, *, tier="regular"):
    rule = parse_rule(
        {
            "code": "R",
            "period_type": "quarter",
            "valid_from": "2025-01-01",
            "valid_to": "2025-12-31",
            **rule_fields,
        }
    )
    partner = {**PARTNER, "tier": tier}
    cells = dict(enumerate(lines))  # a cell per line, every one inside the window
    context = engine.RuleContext.of(rule, Q1, reads=frozenset(cells), prior_reads=frozenset())
    return engine._one(
        rule, context, partner, cells, {}, defaultdict(set), defaultdict(list),
        engine.DEFAULT_MULTIPLIERS, {},
    )  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(tiers=tier_lists, lines=buckets)
def test_retroactive_pays_at_least_incremental_for_the_same_tiers(tiers, lines):
    retro = run({"kind": "volume_tiered", "tiers": tiers}, lines)
    incremental = run({"kind": "volume_tiered", "tiers": tiers, "tier_mode": "incremental"}, lines)
    assert retro.amount >= incremental.amount


@settings(max_examples=200, deadline=None)
@given(
    lines=buckets,
    kind=st.sampled_from(["flat", "per_unit", "volume_tiered"]),
    tiers=tier_lists,
    cap=st.one_of(st.none(), money.map(str)),
    tier=st.sampled_from(["core", "regular", "potential"]),
)
def test_an_amount_is_never_negative_and_never_over_its_cap(lines, kind, tiers, cap, tier):
    fields = {"flat": {"rate_percent": "3"}, "per_unit": {"unit_amount": "5.00"},
              "volume_tiered": {"tiers": tiers}}[kind]  # fmt: skip
    result = run({"kind": kind, **fields, **({"cap_amount": cap} if cap else {})}, lines,
                 tier=tier)  # fmt: skip
    assert result.amount >= 0
    assert result.amount == result.amount.quantize(Decimal("0.01"))
    if cap:
        assert result.amount <= Decimal(cap)


@settings(max_examples=200, deadline=None)
@given(
    amount=st.decimals(min_value=0, max_value=10_000_000, places=2),
    earlier=st.lists(st.decimals(min_value=-100_000, max_value=100_000, places=2), max_size=4),
)
def test_settling_twice_writes_nothing_and_settlements_add_up_to_the_amount(amount, earlier):
    result = Result("R", 1, "P1", amount=amount)
    settled = {("R", 1): sum(earlier, Decimal(0))}
    lines = engine.settlement([result], settled)
    delta = Decimal(lines[0]["delta"]) if lines else Decimal(0)
    assert sum(earlier, Decimal(0)) + delta == amount  # the settlement lines sum to the amount
    settled[("R", 1)] += delta
    assert engine.settlement([result], settled) == []  # settling again writes nothing


def test_the_prior_window_of_growth():
    from incentives.periods import year_before

    assert year_before(date(2025, 2, 28), end=True) == date(2024, 2, 29)  # a month's end
    assert year_before(date(2025, 2, 28)) == date(2024, 2, 28)  # a start stays the 28th
    assert year_before(date(2024, 2, 29)) == date(2023, 2, 28)
    assert year_before(date(2025, 3, 31), end=True) == date(2024, 3, 31)


def test_thresholds_are_rounded_to_cents_even_without_pro_rating():
    lines = [bucket(date(2025, 1, 5), False, Decimal("1.00"), Decimal(1))]
    result = run({"kind": "volume_tiered", "tier_mode": "incremental",
                  "tiers": [["0", "0"], ["0.005", "100"]]}, lines)  # fmt: skip
    assert result.amount == Decimal("0.99")  # t' = 0.01: 100 % of 0.99


class SettlementOnTheDatabase(TestCase):
    """The real approval path: whatever late credit notes arrive between runs and whichever
    statements are approved, the settlement lines of each rule add up to the last approved
    amount, and approving the same figures again writes nothing."""

    @settings(max_examples=12, deadline=None)
    @given(steps=st.lists(
        st.tuples(st.integers(0, 40_000), st.booleans()), min_size=1, max_size=4,
    ))  # fmt: skip
    def test_settlement_lines_add_up_to_the_approved_amounts(self, steps):
        from tests.factories import CategoryFactory, PartnerFactory, UserFactory
        from tests.incentives.conftest import FLAT, TIERED, sell

        maker, checker = UserFactory(role="sales_vp"), UserFactory(role="sales_vp")
        program = services.create_program(
            name="P", period_start=date(2025, 1, 1), period_end=date(2025, 12, 31),
            created_by=maker,
        )  # fmt: skip
        services.save_rule(program, TIERED, saved_by=maker)
        services.save_rule(program, FLAT, saved_by=maker)
        program = services.approve_program(program, approved_by=checker)
        partner, category = PartnerFactory(), CategoryFactory()
        sell(partner, category, "60000.00")

        def run_and_maybe_approve(approve):
            run = services.start_run(program, Q1_PERIOD, kind="final", started_by=checker)
            statement = services.run_rebates(run.pk).statements.get()
            if approve:
                services.approve_statements([statement], approved_by=checker)
            return statement

        for credit, approve in steps:
            if credit:
                sell(partner, category, f"{credit}.00", day=date(2025, 3, 15), credit=True)
            run_and_maybe_approve(approve)
        last = run_and_maybe_approve(True)
        settled = dict(
            SettlementLine.objects.values("rule_code").annotate(total=Sum("amount"))
            .values_list("rule_code", "total")
        )  # fmt: skip
        amounts = {r.rule.code: r.amount for r in last.results.select_related("rule")}
        assert {code: settled.get(code, Decimal(0)) for code in amounts} == amounts
        count = SettlementLine.objects.count()
        again = run_and_maybe_approve(True)
        assert again.to_settle == 0
        assert SettlementLine.objects.count() == count


def test_deltas_make_the_settled_sums_equal_the_amounts():
    amounts = {"A": Decimal("10.00"), "B": Decimal("0.00")}
    settled = {"A": Decimal("4.00"), "C": Decimal("2.50")}
    found = engine.deltas(amounts, settled)
    assert found == {"A": Decimal("6.00"), "C": Decimal("-2.50")}
    assert engine.deltas(amounts, {"A": Decimal("10.00")}) == {}
