"""Each criterion's formula on hand-computed data, through the real engine (one SQL
statement per batch over the real tables), and the redistribution of missing criteria."""

from datetime import date
from decimal import Decimal

import pytest

from maintenance.services import log_interaction
from partners.choices import Province, Tier
from reviews.models import BusinessReview
from sales.services import set_target
from support import services as support
from surveys.models import Survey, SurveyResponse
from tests.factories import CategoryFactory, PartnerFactory, SalesLineFactory
from tiers.criteria import Inputs
from tiers.criteria import evaluate as score_of
from tiers.criteria import points as points_of
from tiers.models import PartnerScore

from .conftest import at, evaluate, points


@pytest.fixture
def seller(manager):
    """Regular, since 2020, covering 3 provinces; in the window (2025Q4–2026Q3) 2 750 000 net
    in 3 active quarters from 2 categories, 6 interactions; 2 500 000 the year before;
    targets of 3 500 000 for the window's quarters."""
    partner = PartnerFactory(
        owner=manager,
        tier=Tier.REGULAR,
        province=Province.GUANGDONG,
        coverage=["GX", "HN"],
        cooperation_start_date=date(2020, 1, 1),
    )
    phones, tvs = CategoryFactory(), CategoryFactory()
    for day, amount, category in [
        (date(2025, 11, 10), "1000000", phones),
        (date(2026, 2, 10), "1500000", tvs),
        (date(2026, 5, 10), "500000", phones),
        (date(2025, 3, 10), "2500000", tvs),
    ]:
        SalesLineFactory(partner=partner, date=day, net_amount=Decimal(amount), category=category)
    SalesLineFactory(
        partner=partner,
        date=date(2026, 8, 10),
        net_amount=Decimal("250000"),
        doc_type="credit_note",
        credited_doc_number="X",
        category=phones,
    )
    SalesLineFactory(partner=partner, date=date(2026, 10, 2), net_amount=Decimal("9000000"))
    set_target(partner, year=2025, amount=Decimal("2000000"), set_by=None)  # Q4: 500 000
    set_target(partner, year=2026, amount=Decimal("4000000"), set_by=None)  # 1 000 000 each
    for month in (10, 12, 2, 4, 6, 9):
        year = 2025 if month >= 10 else 2026
        log_interaction(
            partner,
            logged_by=manager,
            kind="call",
            summary="季度沟通",
            occurred_at=at(date(year, month, 15)),
        )
    log_interaction(
        partner,
        logged_by=manager,
        kind="call",
        summary="窗口外",
        occurred_at=at(date(2026, 10, 15)),
    )
    return partner


def test_sales_criteria_and_the_weighted_score(seller, time_machine):
    time_machine.move_to("2026-10-20 10:00 +08:00")
    score = PartnerScore.objects.get(run=evaluate(), partner=seller)

    assert points(score, "net_sales") == Decimal("55.00")  # 2 750 000 / 5 000 000
    assert points(score, "growth") == Decimal("60.00")  # +10 %
    assert points(score, "target") == Decimal("78.57")  # 2 750 000 / 3 500 000
    assert points(score, "coverage") == Decimal("30.00")  # GD, GX, HN of 10
    assert points(score, "depth") == Decimal("70.00")  # 6.7 years (100), 2 of 5 categories (40)
    assert points(score, "activity") == Decimal("62.50")  # 6 of 12 (50), 3 of 4 quarters (75)
    for criterion in ("reviews", "satisfaction", "service"):
        assert points(score, criterion) is None  # no data: weight redistributed
    # (25×55 + 15×60 + 15×78.57 + 5×30 + 10×70 + 10×62.5) / 80
    assert score.score == Decimal("61.61")
    assert score.criteria["net_sales"]["weight"] == "31.25"  # 25 of the 80 present
    assert score.earned_tier == Tier.REGULAR
    assert score.criteria["target"]["inputs"] == {
        "net": "2750000.00",
        "target": "3500000.00",
        "achievement_percent": "78.6",
    }
    assert score.proposed_tier == ""


@pytest.fixture
def served(manager):
    """Regular since 2026-01-01, no sales; two closed reviews (4.20, 3.40), two survey
    answers (5 and 4; recommend 9 and 6), two issues resolved in the window (one within the
    SLA), one of them a complaint."""
    partner = PartnerFactory(
        owner=manager,
        tier=Tier.REGULAR,
        province=Province.BEIJING,
        cooperation_start_date=date(2026, 1, 1),
    )
    for quarter, overall in ((2, "4.20"), (3, "3.40")):
        BusinessReview.objects.create(
            partner=partner,
            year=2026,
            quarter=quarter,
            due_on=date(2026, 3 * quarter, 30),
            tier=Tier.REGULAR,
            manager=manager,
            status="closed",
            held_on=date(2026, 3 * quarter, 1),
            sales_score=4,
            service_score=4,
            market_score=4,
            satisfaction_score=4,
            overall_score=Decimal(overall),
            figures={},
        )
    for month, satisfaction, recommend in ((3, 5, 9), (7, 4, 6)):
        survey = Survey.objects.create(
            partner=partner,
            month=date(2026, month, 1),
            email="a@example.com",
            language="en",
            tier=Tier.REGULAR,
            status="answered",
            token_hash=f"{month:064d}",
        )
        SurveyResponse.objects.create(
            survey=survey,
            partner=partner,
            satisfaction=satisfaction,
            recommend=recommend,
            submitted_at=at(date(2026, month, 5)),
        )
    quick = support.open_issue(
        partner,
        opened_by=None,
        title="a",
        category="delivery",
        description="x",
        now=at(date(2026, 3, 1)),
    )
    support.resolve_issue(quick, resolved_by=None, resolution="ok", now=at(date(2026, 3, 3)))
    slow = support.open_issue(
        partner,
        opened_by=None,
        title="b",
        category="complaint",
        description="x",
        now=at(date(2026, 5, 1)),
    )
    support.resolve_issue(slow, resolved_by=None, resolution="ok", now=at(date(2026, 5, 20)))
    return partner


def test_review_satisfaction_and_service_criteria(served, time_machine):
    time_machine.move_to("2026-10-20 10:00 +08:00")
    score = PartnerScore.objects.get(run=evaluate(), partner=served)

    assert points(score, "reviews") == Decimal("70.00")  # mean 3.80 → (3.8 − 1) / 4
    assert points(score, "satisfaction") == Decimal("68.75")  # CSAT 4.5 → 87.5; NPS 0 → 50
    assert points(score, "service") == Decimal("62.50")  # SLA 50 %; 1 complaint → 75
    assert points(score, "net_sales") == Decimal("0.00")  # no sales is data: 0
    assert points(score, "growth") is None
    assert points(score, "target") is None
    assert points(score, "depth") == Decimal("7.45")  # 0.74 years of 5 → 14.89; 0 categories
    # (25×0 + 5×10 + 10×7.45 + 10×0 + 10×70 + 5×68.75 + 5×62.5) / 70
    assert score.score == Decimal("21.15")
    assert score.earned_tier == Tier.POTENTIAL


MODEL = {
    "weights": {
        "net_sales": 0,
        "growth": 0,
        "target": 0,
        "coverage": 0,
        "depth": 0,
        "activity": 0,
        "reviews": 10,
        "satisfaction": 0,
        "service": 0,
    },
    "net_sales_full": "5000000",
    "provinces_full": 10,
    "years_full": 5,
    "categories_full": 5,
    "interactions_full": 12,
    "core_min": 75,
    "regular_min": 45,
}


def test_a_partner_with_no_data_at_all_keeps_its_tier():
    result = score_of(Inputs(), MODEL)  # only reviews weigh, and there are none
    assert (result.score, result.earned_tier) == (None, None)


@pytest.mark.parametrize(
    ("net", "before", "expected"),
    [(180, 100, 100), (30, 100, 0), (110, 100, 60), (50, 0, None), (50, -10, None)],
)
def test_growth_points_are_50_plus_growth_capped_and_undefined_without_a_base(
    net, before, expected
):
    raw = points_of(Inputs(net=Decimal(net), net_before=Decimal(before)), MODEL)
    assert raw["growth"] == (None if expected is None else Decimal(expected))


def test_the_partner_page_explains_the_score_and_what_is_missing(
    seller, manager, as_user, time_machine
):
    time_machine.move_to("2026-10-20 10:00 +08:00")
    evaluate()
    page = as_user(manager).get(seller.get_absolute_url()).content.decode()
    card = page.split('id="tier-score"')[1].split('id="partner-issues"')[0]
    assert "61.61" in card
    assert "13.39" in card  # points short of core (75)
    assert card.count("<tr") == 10  # the header and the nine criteria


def test_a_year_without_a_target_is_left_out_of_the_achievement(manager, time_machine):
    """Targets for 2026 only (1 000 000 a quarter): the window's 2026 quarters hold
    1 500 000 + 500 000 − 250 000 of sales against 3 000 000; 2025Q4's sales do not count."""
    partner = PartnerFactory(owner=manager, tier=Tier.REGULAR)
    for day, amount in [
        (date(2025, 11, 10), "1000000"),
        (date(2026, 2, 10), "1500000"),
        (date(2026, 5, 10), "500000"),
    ]:
        SalesLineFactory(partner=partner, date=day, net_amount=Decimal(amount))
    SalesLineFactory(
        partner=partner,
        date=date(2026, 8, 10),
        net_amount=Decimal("250000"),
        doc_type="credit_note",
        credited_doc_number="X",
    )
    set_target(partner, year=2026, amount=Decimal("4000000"), set_by=None)
    time_machine.move_to("2026-10-20 10:00 +08:00")
    score = PartnerScore.objects.get(run=evaluate(), partner=partner)
    assert score.criteria["target"]["inputs"] == {
        "net": "1750000.00",
        "target": "3000000.00",
        "achievement_percent": "58.3",
    }
    assert points(score, "target") == Decimal("58.33")
