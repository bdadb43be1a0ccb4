"""Partner performance on a small data set computed by hand (today: 2026-11-29, Q4 2026)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

from sales.choices import DocType
from sales.models import SalesLine
from sales.performance import partner_performance
from sales.services import set_target
from tests.factories import CategoryFactory, PartnerFactory

TODAY = date(2026, 11, 29)


def line(partner, day, amount, *, doc_type=DocType.INVOICE, category, number=[0]):  # noqa: B006
    number[0] += 1
    return SalesLine.objects.create(
        partner=partner,
        doc_type=doc_type,
        doc_number=f"D{number[0]}",
        line_number=1,
        date=day,
        category=category,
        quantity=Decimal(1),
        net_amount=Decimal(amount),
        credited_doc_number="D1" if doc_type == DocType.CREDIT_NOTE else "",
    )


@pytest.fixture
def sold(manager):
    """Q4 2025: 1 000.00; Q4 2026: 1 500.00 − 300.00 (credit) = 1 200.00, of which 200.00 in
    software; Q3 2026: 0; Q1 2025 (outside the 8 quarters): 5 000.00; Q1 2024: 777.00."""
    partner = PartnerFactory(owner=manager)
    hardware, software = CategoryFactory(name="硬件"), CategoryFactory(name="软件")
    line(partner, date(2025, 12, 31), "1000.00", category=hardware)
    line(partner, date(2026, 10, 1), "1300.00", category=hardware)
    line(partner, date(2026, 11, 29), "200.00", category=software)
    line(partner, date(2026, 11, 2), "300.00", category=hardware, doc_type=DocType.CREDIT_NOTE)
    line(partner, date(2025, 1, 15), "5000.00", category=hardware)
    line(partner, date(2024, 2, 1), "777.00", category=hardware)
    line(PartnerFactory(), date(2026, 10, 5), "999.00", category=hardware)  # someone else
    return partner


def test_net_sales_growth_and_categories_by_hand(sold):
    performance = partner_performance(sold, today=TODAY)
    by_quarter = {str(q.quarter): q for q in performance.quarters}

    assert list(by_quarter) == [
        "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4",
    ]  # fmt: skip
    assert by_quarter["2026Q4"].net_sales == Decimal("1200.00")
    assert by_quarter["2026Q4"].growth_percent == Decimal("20.0")  # 1200 vs 1000
    assert by_quarter["2025Q1"].growth_percent == Decimal("543.5")  # 5000 vs 777: 543.50…
    assert by_quarter["2026Q1"].growth_percent == Decimal("-100.0")  # 0 vs 5000
    assert by_quarter["2026Q3"].growth_percent is None  # 0 vs 0: undefined, shown "—"
    assert by_quarter["2026Q3"].net_sales == Decimal("0.00")
    assert [(c.name, c.net_sales) for c in performance.by_category] == [
        ("硬件", Decimal("1000.00")),  # 1300 − 300
        ("软件", Decimal("200.00")),
    ]
    assert performance.last_four_quarters == Decimal("1200.00")


def test_target_achievement_uses_the_quarter_of_the_annual_target(sold, vp):
    set_target(sold, year=2026, amount=Decimal("10000.01"), set_by=vp)

    by_quarter = {str(q.quarter): q for q in partner_performance(sold, today=TODAY).quarters}

    assert by_quarter["2026Q4"].target == Decimal("2500.01")  # 2500.00 × 3, the rest in Q4
    assert by_quarter["2026Q4"].achievement_percent == Decimal("48.0")  # 1200 / 2500.01
    assert by_quarter["2025Q4"].target is None
    assert by_quarter["2025Q4"].achievement_percent is None


def test_a_target_splits_evenly_to_the_cent_and_keeps_its_versions(manager, vp):
    partner = PartnerFactory(owner=manager)
    target = set_target(partner, year=2027, amount=Decimal("100.00"), set_by=manager)
    assert (target.q1, target.q2, target.q3, target.q4) == (
        Decimal("25.00"),
        Decimal("25.00"),
        Decimal("25.00"),
        Decimal("25.00"),
    )

    set_target(
        partner,
        year=2027,
        amount=Decimal("120.00"),
        quarters=[Decimal("10"), Decimal("20"), Decimal("30"), Decimal("60")],
        set_by=vp,
    )

    history = list(target.history.order_by("history_date"))
    assert [(h.amount, h.history_user) for h in history] == [
        (Decimal("100.00"), manager),
        (Decimal("120.00"), vp),
    ]


def test_quarters_that_do_not_add_up_are_refused(manager):
    partner = PartnerFactory(owner=manager)
    with pytest.raises(ValidationError):
        set_target(
            partner, year=2027, amount=Decimal("100"), quarters=[Decimal("50")] * 4, set_by=None
        )
    set_target(partner, year=2027, amount=Decimal("100"), set_by=None)
    with pytest.raises(IntegrityError), connection.cursor() as cursor:
        cursor.execute("UPDATE sales_salestarget SET q1 = q1 + 1")


def test_the_api_returns_the_same_figures(as_api_user, manager, sold, time_machine):
    time_machine.move_to("2026-11-29 12:00 +08:00")
    response = as_api_user(manager).get(f"/api/v1/partners/{sold.pk}/performance/")
    body = response.json()
    assert response.status_code == 200
    assert body["quarters"][-1] == {
        "quarter": "2026Q4",
        "start": "2026-10-01",
        "end": "2026-12-31",
        "net_sales": "1200.00",
        "net_sales_year_before": "1000.00",
        "growth_percent": "20.0",
        "target": None,
        "achievement_percent": None,
    }
    assert body["by_category"][0] == {"name": "硬件", "net_sales": "1000.00"}


def test_the_partner_page_shows_the_table_and_chart_data(
    as_user, manager, sold, time_machine, django_assert_max_num_queries
):
    time_machine.move_to("2026-11-29 12:00 +08:00")
    client = as_user(manager)
    with django_assert_max_num_queries(24):
        response = client.get(sold.get_absolute_url())
    body = response.content.decode()
    assert 'id="performance-table"' in body
    assert "1,200.00" in body
    assert '"net_sales": ["5000.00", "0.00"' in body  # the chart's data (json_script)
