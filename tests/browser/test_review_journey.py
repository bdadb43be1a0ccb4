"""A channel manager plans, holds and closes a quarterly business review in the browser."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from channelhub.lib.periods import Quarter
from partners.choices import Tier
from tests.factories import ContactFactory, PartnerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_plans_holds_and_closes_a_review(live_server, page: Page, manager):
    partner = PartnerFactory(owner=manager, legal_name="杭州西湖核心贸易有限公司", tier=Tier.CORE)
    ContactFactory(partner=partner, name="周敏", is_primary=True)
    today = timezone.localdate()
    quarter = Quarter.of(today)
    meeting = today + timedelta(days=2)

    page.goto(f"{live_server.url}/accounts/login/")
    page.select_option("#language-switcher select", "en")
    page.fill("#id_username", "manager")
    page.fill("#id_password", "correct horse battery")
    page.get_by_role("button", name="Log in", exact=True).click()

    page.goto(f"{live_server.url}/partners/{partner.pk}/")
    page.get_by_role("button", name=f"Plan the {quarter} review").click()
    expect(page.locator("#review-status")).to_have_text("Planned")

    page.fill("#id_scheduled_at", f"{meeting:%Y-%m-%d}T15:00")
    page.select_option("#id_format", "on_site")
    page.fill("#id_agenda", "Targets, service, market, next steps")
    page.get_by_label("周敏").check()
    page.click("#schedule-submit")
    expect(page.locator("#scheduled-at")).to_have_text(f"{meeting:%Y-%m-%d} 15:00")

    page.click("#hold-submit")
    expect(page.locator("#review-status")).to_have_text("Held")

    for field, value in (("sales", 4), ("service", 3), ("market", 5), ("satisfaction", 2)):
        page.check(f"input[name='{field}_score'][value='{value}']")
    page.fill("#id_notes", "Agreed a joint promotion for the next quarter.")
    page.click("#record-submit")
    expect(page.locator("#overall-score")).to_have_text("3.60")

    page.fill("#id_title", "Send the promotion plan")
    page.select_option("#id_owner", label="周敏")
    page.fill("#id_due_on", f"{today + timedelta(days=14):%Y-%m-%d}")
    page.click("#action-submit")
    expect(page.locator("#action-table")).to_contain_text("Send the promotion plan")

    page.click("#close-submit")
    expect(page.locator("#review-status")).to_have_text("Closed")
    expect(page.locator("#overall-score")).to_have_text("3.60")
    expect(page.locator("#figures")).to_contain_text("frozen when closed")
    shots = Path(settings.BASE_DIR) / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "review-closed-en.png"), full_page=True)

    page.goto(f"{live_server.url}/partners/{partner.pk}/")
    expect(page.locator("#timeline")).to_contain_text(f"Business review {quarter} closed")
    expect(page.locator("#partner-actions")).to_contain_text("Send the promotion plan")
    expect(page.locator("#review-trend")).to_contain_text("3.60")
