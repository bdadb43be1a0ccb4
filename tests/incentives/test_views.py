"""The rebate pages: the rule editor with its tier tables and field-named errors, runs,
statements with their explanations and lines, bulk approval with the cost first, payouts,
exports and "what if"."""

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from incentives import services
from incentives.choices import RunKind, StatementStatus
from incentives.models import RebateRule, RebateStatement, SettlementLine
from incentives.periods import RebatePeriod
from tests.factories import PartnerFactory, UserFactory

from .conftest import TIERED, sell

Q1 = RebatePeriod.parse("2025-Q1")


@pytest.fixture
def computed(approved_program, partner, category, vp):
    """The manager's partner sold 60 000 in 2025-Q1 (and a credit note of 1 000); a final
    run computed the program."""
    sell(partner, category, "61000.00")
    sell(partner, category, "1000.00", day=date(2025, 3, 1), credit=True)
    PartnerFactory(code="OTHER", legal_name="别家公司")
    run = services.start_run(approved_program, Q1, kind=RunKind.FINAL, started_by=vp)
    return services.run_rebates(run.pk)


def statement_of(partner):
    return RebateStatement.objects.filter(partner=partner).latest("pk")


def rule_post(**fields):
    data = {
        "code": "NEW", "kind": "volume_tiered", "period_type": "quarter",
        "valid_from": "2025-01-01", "valid_to": "2025-12-31", "measure": "amount",
        "tier_mode": "retroactive", "growth_payout_base": "current_total",
        "zero_base_policy": "no_rebate", "priority": "0", "include_descendants": "on",
        "use_tier_multiplier": "on", "prorate_new_partners": "on",
        "tiers-from": ["0", "100000", ""], "tiers-rate": ["1", "2", ""],
    }  # fmt: skip
    data.update(fields)
    return data


def test_the_rule_editor_saves_a_tier_table(approved_program, as_user, vp):
    response = as_user(vp).post(
        reverse("incentives:rule_create", args=[approved_program.pk]), rule_post()
    )
    assert response.status_code == 302
    rule = RebateRule.objects.get(code="NEW")
    assert rule.spec["tiers"] == [["0", "1"], ["100000", "2"]]
    assert rule.spec["kind"] == "volume_tiered"
    approved_program.refresh_from_db()
    assert approved_program.status == "draft"  # a change goes back for approval


def test_the_rule_editor_names_the_field_at_fault(approved_program, as_user, vp):
    client = as_user(vp)
    url = reverse("incentives:rule_create", args=[approved_program.pk])
    unsorted = {"tiers-from": ["500", "100"], "tiers-rate": ["1", "2"]}
    response = client.post(url, rule_post(**unsorted))
    assert response.status_code == 400
    assert "tiers: thresholds must be strictly ascending" in response.content.decode()
    assert 'id="errors-tiers"' in response.content.decode()
    response = client.post(url, rule_post(kind="flat", rate_percent="120"))
    assert response.status_code == 400
    assert 'id="error-rate_percent"' in response.content.decode()
    response = client.post(url, rule_post(**{"tiers-from": ["abc"], "tiers-rate": ["1"]}))
    assert "tiers[0]" in response.content.decode()
    assert not RebateRule.objects.filter(code="NEW").exists()
    # the posted rows are kept for correction
    assert 'value="abc"' in response.content.decode()


def test_editing_an_approved_rule_makes_a_new_version(approved_program, as_user, vp):
    response = as_user(vp).get(reverse("incentives:rule_edit", args=[approved_program.pk, "VOL"]))
    assert 'value="50000.00"' in response.content.decode()
    response = as_user(vp).post(
        reverse("incentives:rule_edit", args=[approved_program.pk, "VOL"]),
        rule_post(code="IGNORED", **{"tiers-from": ["0"], "tiers-rate": ["4"]}),
    )
    assert response.status_code == 302
    versions = list(RebateRule.objects.filter(code="VOL").order_by("version")
                    .values_list("version", "is_current"))  # fmt: skip
    assert versions == [(1, False), (2, True)]
    assert not RebateRule.objects.filter(code="IGNORED").exists()


def test_approving_a_program_in_the_browser_needs_another_vp(approved_program, as_user, vp):
    services.save_rule(approved_program, {**TIERED, "tiers": [["0", "1"]]}, saved_by=vp)
    url = reverse("incentives:program_approve", args=[approved_program.pk])
    as_user(vp).post(url)
    approved_program.refresh_from_db()
    assert approved_program.status == "draft"
    as_user(UserFactory(role="sales_vp")).post(url)
    approved_program.refresh_from_db()
    assert approved_program.status == "approved"


def test_a_run_is_started_from_the_program_page(approved_program, as_user, vp, celery_eager,
                                                django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(vp).post(
            reverse("incentives:run_start", args=[approved_program.pk]),
            {"period": "2025-Q1", "kind": "final"},
        )
    assert response.status_code == 302
    page = as_user(vp).get(response["Location"])
    assert 'id="run-by-tier"' in page.content.decode()


def test_the_statement_explains_each_result(computed, partner, as_user, manager):
    statement = statement_of(partner)
    html = as_user(manager).get(statement.get_absolute_url()).content.decode()
    assert "1800.00 CNY" in html  # VOL: 3 % of 60 000
    assert "600.00 CNY" in html  # FLAT: 1 %
    assert "50000.00" in html  # the thresholds
    assert 'class="table-success"' in html  # the tier reached
    assert "已达到" in html  # reached


def test_the_next_tier_is_shown_with_the_distance(approved_program, partner, category, vp, as_user):
    sell(partner, category, "45000.00")
    services.run_rebates(services.start_run(approved_program, Q1, kind=RunKind.FINAL,
                                            started_by=vp).pk)  # fmt: skip
    html = as_user(vp).get(statement_of(partner).get_absolute_url()).content.decode()
    assert "再增加 5000.00 可达到下一档（3 %）" in html


def test_the_lines_behind_a_result_are_paged(computed, partner, as_user, manager):
    statement = statement_of(partner)
    result = statement.results.get(rule__code="VOL")
    assert result.lines == 2
    response = as_user(manager).get(
        reverse("incentives:result_lines", args=[statement.pk, result.pk])
    )
    html = response.content.decode()
    assert html.count("<tr><td>2025-") == 2
    assert "−1000.00" in html


def test_a_manager_sees_only_the_statements_of_their_partners(computed, partner, as_user,
                                                              colleague, manager):  # fmt: skip
    statement = statement_of(partner)
    assert as_user(colleague).get(statement.get_absolute_url()).status_code == 404
    html = as_user(manager).get(reverse("incentives:statement_list")).content.decode()
    assert partner.legal_name in html
    assert "别家公司" not in html


def test_bulk_approval_shows_the_cost_first(computed, partner, as_user, vp, manager):
    statements = RebateStatement.objects.all()
    ids = [str(s.pk) for s in statements]
    client = as_user(vp)
    response = client.post(reverse("incentives:statement_approve"), {"statement": ids})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="cost-net">2400.00 CNY' in html
    assert not SettlementLine.objects.exists()
    response = client.post(reverse("incentives:statement_approve"),
                           {"statement": ids, "confirm": "yes"})  # fmt: skip
    assert response.status_code == 302
    assert set(statements.values_list("status", flat=True)) == {StatementStatus.APPROVED}
    assert SettlementLine.objects.count() == 2
    # a manager cannot approve
    assert as_user(manager).post(reverse("incentives:statement_approve"),
                                 {"statement": ids}).status_code == 403  # fmt: skip


def test_a_payout_is_recorded_from_the_statement(computed, partner, as_user, vp):
    statement = statement_of(partner)
    services.approve_statements([statement], approved_by=vp)
    client = as_user(vp)
    client.post(reverse("incentives:statement_payout", args=[statement.pk]),
                {"paid_on": "2025-04-10", "reference": "TT-20250410"})  # fmt: skip
    html = client.get(statement.get_absolute_url()).content.decode()
    assert "已于 2025-04-10 支付，凭证号 TT-20250410。" in html


def test_the_printable_statement_in_both_languages(computed, partner, as_user, manager):
    statement = statement_of(partner)
    url = reverse("incentives:statement_print", args=[statement.pk])
    chinese = as_user(manager).get(url + "?lang=zh-hans").content.decode()
    english = as_user(manager).get(url + "?lang=en").content.decode()
    assert '<html lang="zh-hans">' in chinese
    assert "返利对账单" in chinese
    assert "Rebate statement" in english
    assert "1800.00" in chinese
    assert "1800.00" in english


def test_the_xlsx_export_is_formula_safe(approved_program, category, vp, as_user):
    hostile = PartnerFactory(legal_name='=HYPERLINK("http://x")')
    sell(hostile, category, "20000.00")
    services.run_rebates(services.start_run(approved_program, Q1, kind=RunKind.FINAL,
                                            started_by=vp).pk)  # fmt: skip
    response = as_user(vp).get(reverse("incentives:statement_export"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    names = [row[3] for row in rows[1:]]
    assert any(str(name).startswith("=HYPERLINK") for name in names)
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"  # stored as text, never a formula
    amounts = {row[6]: row[15] for row in rows[1:]}
    assert amounts["VOL"] == pytest.approx(400.0)  # 2 % of 20 000, as a number


def test_what_if_compares_a_draft_with_the_program_as_approved(computed, partner, vp, as_user):
    program = computed.program
    services.save_rule(program, {**TIERED, "tiers": [["0", "5"]]}, saved_by=vp)  # draft now
    response = as_user(vp).get(reverse("incentives:what_if", args=[program.pk]),
                               {"period": "2025-Q1"})  # fmt: skip
    html = response.content.decode()
    # 5 % + 1 % of 60 000 = 3600 against 2400 as approved; nothing is stored
    assert 'id="what-if-cost">3600.00' in html
    assert "1200.00" in html
    assert RebateStatement.objects.count() == 2


def test_what_if_refuses_a_period_that_is_not_over(approved_program, vp, as_user):
    response = as_user(vp).get(reverse("incentives:what_if", args=[approved_program.pk]),
                               {"period": "2099-Q1"})  # fmt: skip
    assert "请选择已经结束的期间。" in response.content.decode()


def test_the_pages_render(approved_program, computed, as_user, vp, manager):
    for client in (as_user(vp), as_user(manager)):
        for url in (reverse("incentives:program_list"),
                    reverse("incentives:program_detail", args=[approved_program.pk]),
                    reverse("incentives:run_detail", args=[computed.pk]),
                    reverse("incentives:statement_list")):  # fmt: skip
            assert client.get(url).status_code == 200
    assert as_user(vp).get(reverse("incentives:program_create")).status_code == 200
    assert as_user(vp).get(reverse("incentives:rule_create", args=[approved_program.pk])
                           ).status_code == 200  # fmt: skip
    assert as_user(manager).get(reverse("incentives:program_create")).status_code == 403


def test_statement_list_queries_do_not_grow_with_statements(
    approved_program, category, vp, as_user, django_assert_max_num_queries
):
    for _n in range(20):
        sell(PartnerFactory(), category, "15000.00")
    services.run_rebates(services.start_run(approved_program, Q1, kind=RunKind.FINAL,
                                            started_by=vp).pk)  # fmt: skip
    client = as_user(vp)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("incentives:statement_list")).status_code == 200


def test_statement_page_queries_are_bounded(computed, partner, as_user, vp,
                                            django_assert_max_num_queries):  # fmt: skip
    statement = statement_of(partner)
    client = as_user(vp)
    with django_assert_max_num_queries(14):
        client.get(statement.get_absolute_url())
    assert Decimal(statement.amount) == Decimal("2400.00")


def test_bulk_approval_of_every_statement_matching_the_filters(
    approved_program, category, vp, as_user
):
    for _n in range(55):  # more than a page
        sell(PartnerFactory(), category, "12000.00")
    run = services.run_rebates(services.start_run(approved_program, Q1, kind=RunKind.FINAL,
                                                  started_by=vp).pk)  # fmt: skip
    client = as_user(vp)
    url = reverse("incentives:statement_approve")
    query = f"run={run.pk}"
    html = client.post(url, {"all_matching": "yes", "query": query}).content.decode()
    assert 'id="cost-count">55<' in html
    assert 'id="cost-net">19800.00 CNY' in html  # 55 × (2 % + 1 %) of 12 000
    client.post(url, {"all_matching": "yes", "query": query, "confirm": "yes"})
    assert not RebateStatement.objects.filter(status=StatementStatus.DRAFT).exists()
