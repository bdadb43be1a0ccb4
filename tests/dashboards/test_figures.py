"""Every figure of the tier dashboard against the hand-computed values of conftest.py."""

from datetime import date
from decimal import Decimal

import pytest

from dashboards.figures import Filters, team_dashboard, tier_dashboard
from dashboards.models import PartnerPeriodSummary
from dashboards.periods import Period
from dashboards.summary import rebuild

from .conftest import TODAY

Q3 = Period.parse("2026Q3")
FIRST = date(2024, 1, 1)

pytestmark = pytest.mark.django_db


def dashboard(**filters):
    rebuild(today=TODAY)
    return tier_dashboard(Q3, Filters(**filters), first_covered=FIRST)


def test_partners_and_movement_per_tier(channel):
    tiers = dashboard().tiers
    assert (tiers["core"].partners, tiers["core"].promoted, tiers["core"].demoted) == (2, 1, 0)
    assert (tiers["regular"].partners, tiers["regular"].terminated) == (1, 1)
    assert tiers["regular"].demoted == 1
    assert (tiers["potential"].partners, tiers["potential"].new) == (1, 1)
    assert tiers["total"].partners == 4


def test_net_sales_share_and_growth(channel):
    tiers = dashboard().tiers
    assert tiers["core"].net_sales == Decimal("2000.00")  # the credit note counts negative
    assert tiers["core"].share == Decimal("95.2")
    assert tiers["core"].growth == Decimal("100.0")
    assert tiers["regular"].net_sales == Decimal("100.00")
    assert tiers["regular"].growth == Decimal("-83.3")
    assert tiers["potential"].growth is None  # undefined: nothing a year earlier
    assert tiers["total"].net_sales == Decimal("2100.00")
    assert tiers["total"].growth == Decimal("31.3")  # 500 / 1600, half-up


def test_activity_and_churn(channel):
    tiers = dashboard().tiers
    assert (tiers["core"].activity_rate, tiers["core"].churn_rate) == (
        Decimal("100.0"),
        Decimal("0.0"),
    )
    # C terminated mid-quarter: in the denominator (a partner at the start), churned, not active.
    assert (tiers["regular"].activity_rate, tiers["regular"].churn_rate) == (
        Decimal("0.0"),
        Decimal("50.0"),
    )
    assert tiers["potential"].activity_rate is None  # D was not a partner at the start
    assert (tiers["total"].activity_rate, tiers["total"].churn_rate) == (
        Decimal("50.0"),
        Decimal("25.0"),
    )


def test_target_timeliness_reviews(channel):
    tiers = dashboard().tiers
    assert tiers["core"].achievement == Decimal("130.0")
    assert tiers["regular"].achievement is None
    assert tiers["core"].timeliness == Decimal("33.3")
    assert tiers["regular"].timeliness is None  # the cancelled task was not owed
    assert tiers["core"].review_completion == Decimal("50.0")


def test_concentration_and_provinces(channel):
    result = dashboard()
    concentration = result.concentration[Q3]
    assert concentration.top10_percent == Decimal("100.0")
    assert concentration.hhi == Decimal("4966.0")  # (1300² + 700² + 100²) / 2100² × 10 000
    assert result.warnings == ["hhi", "top10"]
    assert result.provinces == [("GD", Decimal("2100.00")), ("BJ", Decimal("0.00"))]


def test_filters(channel, manager):
    tiers = dashboard(province=("BJ",)).tiers
    assert tiers["total"].partners == 1
    assert tiers["regular"].demoted == 1
    tiers = tier_dashboard(Q3, Filters(owner=manager.pk), first_covered=FIRST).tiers
    assert tiers["total"].net_sales == Decimal("2000.00")


def test_trend_and_other_periods(channel):
    result = dashboard()
    assert [str(p) for p in result.periods] == [
        "2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3",
    ]  # fmt: skip
    assert result.by_period[Period.parse("2025Q3")]["total"].net_sales == Decimal("1600.00")
    september = tier_dashboard(Period.parse("2026-09"), Filters(), first_covered=FIRST)
    # E was demoted on 09-01: in September it counts for regular and was demoted that month.
    assert september.tiers["regular"].demoted == 1
    assert september.tiers["core"].net_sales == Decimal("1200.00")
    assert september.tiers["core"].achievement is None  # months have no target
    year = tier_dashboard(Period.parse("2026"), Filters(), first_covered=FIRST)
    assert year.tiers["core"].net_sales == Decimal("2999.00")
    assert year.tiers["core"].achievement == Decimal("57.5")  # A: 2299 of 4000
    # The quarter under way: D counts as a partner today, C does not.
    current = tier_dashboard(Period.parse("2026Q4"), Filters(), first_covered=FIRST)
    assert current.tiers["total"].partners == 4


def test_interactions_in_the_company_time_zone(channel):
    rebuild(today=TODAY)
    row = PartnerPeriodSummary.objects.get(partner=channel["a"], kind="M", start=date(2026, 9, 1))
    assert row.interactions == 1  # 23:30 in Shanghai on 09-30 is still September


def test_team_dashboard(channel, manager, colleague):
    rebuild(today=TODAY)
    rows = {row.owner_id: row for row in team_dashboard(Q3, Filters())}
    assert rows[manager.pk].tiers == {"core": 2, "regular": 0, "potential": 0}
    assert rows[manager.pk].figures.net_sales == Decimal("2000.00")
    assert rows[manager.pk].figures.interactions_per_partner == Decimal("0.5")
    assert rows[colleague.pk].tiers == {"core": 0, "regular": 1, "potential": 1}
    assert rows[colleague.pk].figures.growth == Decimal("-83.3")


def test_partners_at_risk_and_my_kpis(channel, manager, vp):
    from dashboards.myday import at_risk_partners, my_kpis

    rebuild(today=TODAY)
    risks = {
        item.partner.legal_name: item.reasons
        for item in at_risk_partners(manager, today=TODAY, low_score=Decimal("3.0"))
    }
    # A: its last closed review scored 2.50; B: nothing sold in 2026Q4 so far, and its
    # contact task of 07-15 is still open. A VP owns none.
    assert risks == {"A": ["low_score"], "B": ["no_sales", "contact_overdue"]}
    assert at_risk_partners(vp, today=TODAY, low_score=Decimal("3.0")) == []
    kpis = my_kpis(manager, today=TODAY)
    assert kpis.mine.partners == 2
    assert kpis.team.partners == 4  # in no team: against everyone
    from django.utils.translation import gettext

    from reminders.models import Team
    from tests.factories import UserFactory

    team = Team.objects.create(name="East")
    team.members.add(manager, UserFactory(role="channel_manager"))
    Team.objects.create(name="North").members.add(vp)  # another team: not counted
    kpis = my_kpis(manager, today=TODAY)
    assert (kpis.team.partners, kpis.team_label) == (2, gettext("My team"))
