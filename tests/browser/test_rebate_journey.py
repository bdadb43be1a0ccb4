"""A sales VP drafts a rebate program in the browser (the tier-table editor), a second
sales VP approves it and runs it for a quarter (the page follows the worker), reviews a
partner's statement with its explanation, and bulk-approves the statements after seeing
what they cost."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from accounts.roles import Role
from incentives.models import RebateRule, RebateStatement, SettlementLine
from incentives.services import run_rebates
from tests.factories import CategoryFactory, PartnerFactory, SalesLineFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.select_option("#language-switcher select", "zh-hans")
    page.fill("#id_username", username)
    page.fill("#id_password", "correct horse battery")
    page.get_by_role("button", name="登录", exact=True).click()


def test_program_run_statement_approve(live_server, page: Page, vp, monkeypatch):
    checker = UserFactory(username="vp2", role=Role.SALES_VP)
    queued = []
    monkeypatch.setattr("incentives.tasks.run_rebates_task.delay", lambda *a: queued.append(a))
    category = CategoryFactory(code="HW", name="硬件")
    star = PartnerFactory(code="GZ01", legal_name="广州星河贸易有限公司")
    SalesLineFactory(partner=star, category=category, date=date(2025, 2, 1),
                     net_amount=Decimal("120000.00"))  # fmt: skip
    small = PartnerFactory(code="SZ02", legal_name="深圳小微科技有限公司")
    SalesLineFactory(partner=small, category=category, date=date(2025, 3, 1),
                     net_amount=Decimal("8000.00"))  # fmt: skip

    # The maker drafts the program and a volume-tiered rule with the tier-table editor.
    log_in(page, live_server.url, "vp")
    page.goto(f"{live_server.url}/rebates/programs/")
    page.click("#new-program")
    page.fill("#id_name", "2025 硬件返利")
    page.fill("#id_period_start", "2025-01-01")
    page.fill("#id_period_end", "2025-12-31")
    page.get_by_role("button", name="保存").click()
    page.click("#add-rule")
    page.fill("#id_code", "HW-Q")
    page.select_option("#id_kind", "volume_tiered")
    expect(page.locator("#table-tiers")).to_be_visible()
    expect(page.locator("#table-growth_tiers")).to_be_hidden()
    rows = page.locator("#table-tiers tbody tr")
    rows.nth(0).locator("input").nth(0).fill("0")
    rows.nth(0).locator("input").nth(1).fill("1")
    rows.nth(1).locator("input").nth(0).fill("100000")
    rows.nth(1).locator("input").nth(1).fill("3")
    page.locator("#table-tiers .add-row").click()
    expect(rows).to_have_count(3)
    rows.nth(2).locator("input").nth(0).fill("50000")  # out of order: refused, named
    rows.nth(2).locator("input").nth(1).fill("2")
    page.click("#save-rule")
    expect(page.locator("#errors-tiers")).to_contain_text("tiers")
    rows.nth(2).locator("input").nth(0).fill("")
    rows.nth(2).locator("input").nth(1).fill("")
    page.click("#save-rule")
    expect(page.locator("#rule-list")).to_contain_text("HW-Q")
    assert RebateRule.objects.get(code="HW-Q").spec["tiers"] == [["0", "1"], ["100000", "3"]]
    expect(page.locator("#approve-program")).to_have_count(0)  # not by its maker
    page.get_by_role("button", name="退出登录").click()

    # The checker approves it and runs the quarter.
    log_in(page, live_server.url, "vp2")
    page.goto(f"{live_server.url}/rebates/programs/")
    page.get_by_role("link", name="2025 硬件返利").click()
    page.click("#approve-program")
    expect(page.locator("#program-status")).to_contain_text("已批准")
    page.fill("#id_period", "2025-Q1")
    page.select_option("#id_kind", "final")
    page.click("#start-run")
    expect(page.locator("#run-state")).to_contain_text("排队")
    ((run_id,),) = queued
    run_rebates(run_id)  # the worker's part
    expect(page.locator("#run-by-tier")).to_be_visible(timeout=10_000)

    # The statement explains itself; then both are approved in bulk, the cost shown first.
    page.click("#run-statements")
    page.get_by_role("link", name="广州星河贸易有限公司").click()
    expect(page.locator("#result-HW-Q .amount")).to_contain_text("3600.00")
    expect(page.locator("#result-HW-Q .steps .table-success")).to_contain_text("100000.00")
    page.go_back()
    page.click("#tick-all")
    page.click("#approve-ticked")
    expect(page.locator("#cost-count")).to_have_text("2")
    expect(page.locator("#cost-net")).to_contain_text("3680.00")  # 3 600 + 1 % of 8 000
    assert not SettlementLine.objects.exists()
    page.click("#confirm-approve")
    expect(page.locator(".alert-success")).to_contain_text("3680.00")
    assert set(RebateStatement.objects.values_list("status", flat=True)) == {"approved"}
    assert SettlementLine.objects.count() == 2
    assert checker.pk == RebateStatement.objects.first().approved_by_id
