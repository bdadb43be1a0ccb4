from datetime import date
from decimal import Decimal

from django.core.management import call_command

from partners.models import Partner
from sales.choices import DocType
from sales.demo import seed_sales
from sales.models import SalesLine
from sales.performance import partner_performance, portfolio_net_sales

TODAY = date(2026, 11, 29)


def lines_snapshot():
    return list(
        SalesLine.objects.order_by("doc_number", "line_number").values_list(
            "doc_number", "line_number", "date", "partner__code", "net_amount"
        )
    )


def test_demo_sales_are_deterministic_idempotent_and_realistic(db):
    call_command("seed_demo", partners=60, seed=4)

    assert seed_sales(seed=4, lines=3000, today=TODAY) == 3000
    first = lines_snapshot()
    assert seed_sales(seed=4, lines=3000, today=TODAY) == 0  # once
    SalesLine.objects.all().delete()
    seed_sales(seed=4, lines=3000, today=TODAY)
    assert lines_snapshot() == first

    credit_notes = SalesLine.objects.filter(doc_type=DocType.CREDIT_NOTE)
    assert 30 <= credit_notes.count() <= 150  # about 3 %
    for note in credit_notes[:50]:
        invoice = SalesLine.objects.filter(doc_number=note.credited_doc_number).first()
        assert invoice.partner_id == note.partner_id
        assert invoice.date <= note.date
    assert SalesLine.objects.filter(date__gt=TODAY).count() == 0
    assert SalesLine.objects.filter(date__lt=date(2024, 11, 30)).count() == 0
    per_partner = {
        tier: SalesLine.objects.filter(partner__tier=tier).count()
        / max(1, Partner.objects.filter(tier=tier).count())
        for tier in ("core", "potential")
    }
    assert per_partner["core"] > 3 * per_partner["potential"]


def test_the_portfolio_figures_equal_the_partner_figures(db):
    call_command("seed_demo", partners=30, seed=5)
    seed_sales(seed=5, lines=2000, today=TODAY)
    partners = Partner.objects.filter(code__startswith="D5-")

    portfolio = portfolio_net_sales(partners, today=TODAY)

    for partner in partners[:10]:
        figures = partner_performance(partner, today=TODAY)
        for quarter in figures.quarters:
            expected = portfolio.get(partner.pk, {}).get(quarter.quarter, Decimal("0.00"))
            assert quarter.net_sales == expected
