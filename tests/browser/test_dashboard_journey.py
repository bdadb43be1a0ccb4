"""A sales VP reads the tier dashboard in both languages and clicks through a figure to the
partners behind it; a channel manager opens their day."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from dashboards.summary import rebuild
from partners.choices import Tier
from partners.models import TierChange
from tests.factories import PartnerFactory, SalesLineFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, live_server, username: str, language: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.select_option("#language-switcher select", language)
    page.fill("#id_username", username)
    page.fill("#id_password", "correct horse battery")
    page.locator("form button[type=submit]").last.click()


@pytest.fixture
def promoted(manager):
    today = timezone.localdate()
    star = PartnerFactory(owner=manager, legal_name="深圳星辰科技有限公司", tier=Tier.CORE)
    TierChange.objects.create(
        partner=star, from_tier=Tier.REGULAR, to_tier=Tier.CORE, effective_on=today, reason="分数"
    )
    PartnerFactory(owner=manager, legal_name="广州普通贸易有限公司", tier=Tier.REGULAR)
    SalesLineFactory(
        partner=star, date=today - timedelta(days=today.day - 1), net_amount=Decimal(5000)
    )
    rebuild()
    return star


@pytest.mark.parametrize(
    ("language", "title", "figure"),
    [("zh-hans", "分层看板", "升级"), ("en", "Tier dashboard", "Promoted")],
)
def test_a_vp_clicks_through_a_figure_to_its_partners(
    live_server, page: Page, vp, promoted, language, title, figure
):
    log_in(page, live_server, "vp", language)
    page.goto(f"{live_server.url}/dashboards/tiers/")
    expect(page.locator("h1")).to_contain_text(title)
    expect(page.locator("#figure-promoted th")).to_have_text(figure)
    expect(page.locator("[data-chart='trend-data'] canvas")).to_have_count(1)  # ECharts drew it
    expect(page.locator("#trend-table tbody tr").last).to_contain_text("5,000.00")
    page.locator("#figure-promoted td").first.get_by_role("link").click()
    expect(page.locator("#figure-filter")).to_be_visible()
    expect(page.locator("#partner-table")).to_contain_text("深圳星辰科技有限公司")
    expect(page.locator("#partner-table")).not_to_contain_text("广州普通贸易有限公司")


@pytest.mark.parametrize(
    ("language", "heading"), [("zh-hans", "有风险的渠道商"), ("en", "My partners at risk")]
)
def test_a_manager_opens_their_day(live_server, page: Page, manager, promoted, language, heading):
    log_in(page, live_server, "manager", language)
    page.goto(f"{live_server.url}/dashboards/me/")
    expect(page.locator("#risk-heading")).to_contain_text(heading)
    expect(page.locator("#at-risk")).to_contain_text(
        "广州普通贸易有限公司"
    )  # no sales this quarter
    expect(page.locator("[data-chart='kpi-data'] canvas")).to_have_count(1)


@pytest.mark.parametrize(
    ("language", "heading"), [("zh-hans", "团队看板"), ("en", "Team dashboard")]
)
def test_a_vp_clicks_through_the_team_dashboard(
    live_server, page: Page, vp, manager, promoted, language, heading
):
    log_in(page, live_server, "vp", language)
    page.goto(f"{live_server.url}/dashboards/team/")
    expect(page.locator("h1")).to_contain_text(heading)
    expect(page.locator("[data-chart='team-data'] canvas")).to_have_count(1)
    row = page.locator("#team-table tbody tr", has_text="李经理")
    row.locator("td").first.get_by_role("link").click()  # the partners they own
    expect(page.locator("#figure-filter")).to_be_visible()
    expect(page.locator("#partner-table")).to_contain_text("深圳星辰科技有限公司")
    expect(page.locator("#partner-table")).to_contain_text("广州普通贸易有限公司")
