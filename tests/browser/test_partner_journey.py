"""A channel manager's first journey, in each language: log in, filter the partner list,
open a partner."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from partners.choices import Tier
from tests.factories import ContactFactory, PartnerFactory

# The live server reads committed data; the factories restore the role groups after flushes.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

TEXTS = {
    "zh-hans": {"login": "登录", "partners": "渠道商", "profile": "档案信息", "core": "核心渠道"},
    "en": {"login": "Log in", "partners": "Partners", "profile": "Profile", "core": "Core"},
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_manager_logs_in_filters_the_list_and_opens_a_partner(
    live_server, page: Page, manager, outsider, language
):
    core = PartnerFactory(owner=manager, legal_name="深圳前海核心科技有限公司", tier=Tier.CORE)
    ContactFactory(partner=core, name="郑伟", is_primary=True)
    PartnerFactory(owner=manager, legal_name="南宁普通贸易有限公司", tier=Tier.REGULAR)
    text = TEXTS[language]

    page.goto(f"{live_server.url}/accounts/login/")
    page.select_option("#language-switcher select", language)
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.fill("#id_username", "manager")
    page.fill("#id_password", "correct horse battery")
    page.get_by_role("button", name=text["login"], exact=True).click()

    expect(page.get_by_role("heading", name=text["partners"])).to_be_visible()
    expect(page.locator("#result-count")).to_contain_text("2")
    expect(page.get_by_text("外部渠道有限公司")).to_have_count(0)

    page.select_option("#id_tier", "core")  # htmx swaps the table in place
    expect(page.locator("#result-count")).to_contain_text("1")
    expect(page.get_by_text("南宁普通贸易有限公司")).to_have_count(0)
    assert re.search(r"tier=core", page.url)

    page.get_by_role("link", name="深圳前海核心科技有限公司").click()
    expect(page.locator("#partner-name")).to_have_text("深圳前海核心科技有限公司")
    expect(page.get_by_text(text["profile"], exact=True)).to_be_visible()
    expect(page.get_by_text("郑伟")).to_be_visible()
    expect(page.locator(".badge.tier-core")).to_have_text(text["core"])

    shots = Path(settings.BASE_DIR) / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"partner-{language}.png"), full_page=True)
