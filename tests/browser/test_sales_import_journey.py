"""A sales VP imports a sales file in the browser: the page follows the worker's progress
(htmx polling) and shows the result when the import ends."""

import pytest
from playwright.sync_api import Page, expect

from sales.models import SalesImport, SalesLine
from sales.services import run_queued_import
from tests.factories import CategoryFactory, PartnerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILE = (
    "单据类型,单据号,行号,日期,渠道编码,品类编码,产品编码,数量,净额,原发票号\n"
    "发票,INV-1,1,2026-07-01,GZ01,PC,,1,100.00,\n"
    "红字发票,CN-1,1,2026-07-02,GZ01,PC,,1,10.00,INV-1\n"
)


def test_a_vp_uploads_sales_and_watches_the_import_finish(
    live_server, page: Page, vp, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    queued = []
    monkeypatch.setattr("sales.tasks.run_sales_import.delay", lambda *args: queued.append(args))
    PartnerFactory(code="GZ01")
    CategoryFactory(code="PC")
    upload = tmp_path / "july.csv"
    upload.write_bytes(FILE.encode("gbk"))

    page.goto(f"{live_server.url}/accounts/login/")
    page.select_option("#language-switcher select", "zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.fill("#id_username", "vp")
    page.fill("#id_password", "correct horse battery")
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_role("link", name="销售数据导入").click()
    page.set_input_files("#id_file", str(upload))
    page.get_by_role("button", name="导入", exact=True).click()

    expect(page.locator("#import-progress")).to_contain_text("正在等待后台任务开始导入")
    ((batch_id, language),) = queued
    run_queued_import(batch_id, language)  # the worker's part

    expect(page.locator("#import-result")).to_contain_text("新增 2 条明细", timeout=10_000)
    expect(page.locator("#import-progress")).to_have_count(0)
    assert SalesImport.objects.get().uploaded_by == vp
    assert SalesLine.objects.count() == 2
