"""CSAT and NPS (product.md §4) and the response rate, on hand-computed data."""

from datetime import date
from decimal import Decimal

import pytest

from partners.choices import Province, Tier
from surveys import services
from surveys.models import Survey, SurveyResponse
from surveys.results import csat, nps, survey_results
from tests.factories import ContactFactory, PartnerFactory

from .conftest import NOVEMBER, answers, at, send_survey

OCTOBER = date(2026, 10, 1)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [([5, 4, 2, 1], Decimal("3.00")), ([5, 4, 4], Decimal("4.33")), ([4, 5], Decimal("4.50"))],
)
def test_csat_is_the_mean_rounded_half_up(scores, expected):
    assert csat(sum(scores), len(scores)) == expected


def test_nps_is_promoters_minus_detractors_in_points():
    # 10, 9, 9 promoters; 7 passive; 3 detractor: (3 - 1) / 5 = 40 points
    assert nps(3, 1, 5) == Decimal("40.0")
    assert nps(1, 2, 3) == Decimal("-33.3")
    assert nps(0, 0, 0) is None


def answered(partner, satisfaction, recommend, *, month=NOVEMBER, day=None, sent_day=2):
    survey, token = send_survey(partner, month=month, when=at(month.replace(day=sent_day)))
    services.submit_response(
        token, answers(satisfaction, recommend), now=at(day or month.replace(day=5))
    )
    return survey


@pytest.fixture
def panel(manager, colleague, time_machine):
    """Five partners surveyed in November (four answered), one in October."""
    time_machine.move_to(at(date(2026, 11, 2)))

    def partner(owner, tier, province):
        made = PartnerFactory(owner=owner, tier=tier, province=province)
        ContactFactory(partner=made, is_primary=True, email=f"{made.code}@example.com")
        return made

    core_gd = partner(manager, Tier.CORE, Province.GUANGDONG)
    core_bj = partner(manager, Tier.CORE, Province.BEIJING)
    regular_gd = partner(colleague, Tier.REGULAR, Province.GUANGDONG)
    regular_bj = partner(colleague, Tier.REGULAR, Province.BEIJING)
    silent = partner(colleague, Tier.REGULAR, Province.BEIJING)
    answered(core_gd, 5, 10)
    answered(core_bj, 4, 9)
    answered(regular_gd, 2, 6)
    answered(regular_bj, 1, 7)
    send_survey(silent)
    answered(core_gd, 3, 0, month=OCTOBER)
    return {"core_gd": core_gd}


def results(group_by, first=NOVEMBER, last=NOVEMBER):
    return survey_results(
        SurveyResponse.objects.all(), Survey.objects.all(), first_month=first, last_month=last,
        group_by=group_by,
    )  # fmt: skip


def test_november_as_a_whole(panel):
    _rows, total = results("month")
    # satisfaction 5, 4, 2, 1 → 3.00; recommend 10, 9 (promoters), 7, 6 (one detractor): 25
    assert (total.responses, total.csat, total.nps) == (4, Decimal("3.00"), Decimal("25.0"))
    assert (total.sent, total.answered, total.response_rate) == (5, 4, Decimal("80.0"))
    assert total.low == 2


def test_by_tier(panel):
    rows, _total = results("tier")
    assert [(row.key, row.csat, row.nps, row.response_rate) for row in rows] == [
        (Tier.CORE, Decimal("4.50"), Decimal("100.0"), Decimal("100.0")),
        (Tier.REGULAR, Decimal("1.50"), Decimal("-50.0"), Decimal("66.7")),
    ]


def test_by_manager_and_region(panel, manager, colleague):
    rows, _total = results("manager")
    assert {row.key: (row.responses, row.sent) for row in rows} == {
        manager.pk: (2, 2), colleague.pk: (2, 3),
    }  # fmt: skip
    rows, _total = results("region")
    assert {row.key: row.csat for row in rows} == {
        Province.GUANGDONG: Decimal("3.50"), Province.BEIJING: Decimal("2.50"),
    }  # fmt: skip


def test_by_month(panel):
    rows, total = results("month", first=OCTOBER)
    assert [(row.label, row.csat, row.nps, row.sent) for row in rows] == [
        ("2026-10", Decimal("3.00"), Decimal("-100.0"), 1),
        ("2026-11", Decimal("3.00"), Decimal("25.0"), 5),
    ]
    assert (total.responses, total.csat) == (5, Decimal("3.00"))


def test_an_answer_counts_in_the_month_it_was_given(panel):
    """product.md: CSAT of the answers given in P; an October survey answered in November
    counts in November's CSAT and in October's response rate."""
    late = PartnerFactory(tier=Tier.CORE)
    ContactFactory(partner=late, is_primary=True, email="late@example.com")
    answered(late, 5, 10, month=OCTOBER, day=date(2026, 11, 3), sent_day=20)
    rows, _total = results("month", first=OCTOBER)
    assert [(row.label, row.responses, row.sent, row.answered) for row in rows] == [
        ("2026-10", 1, 2, 2),
        ("2026-11", 5, 5, 4),
    ]
