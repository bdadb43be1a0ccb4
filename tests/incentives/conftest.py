from datetime import date
from decimal import Decimal

import pytest

from incentives import services
from tests.factories import CategoryFactory, SalesLineFactory, UserFactory

TIERED = {
    "code": "VOL",
    "kind": "volume_tiered",
    "period_type": "quarter",
    "valid_from": "2025-01-01",
    "valid_to": "2025-12-31",
    "tiers": [["0", "0"], ["10000.00", "2"], ["50000.00", "3"]],
}
FLAT = {
    "code": "FLAT",
    "kind": "flat",
    "period_type": "quarter",
    "valid_from": "2025-01-01",
    "valid_to": "2025-12-31",
    "rate_percent": "1",
}


@pytest.fixture
def category(db):
    return CategoryFactory(code="HW", name="硬件")


@pytest.fixture
def approved_program(vp):
    """A 2025 program with a tiered and a flat rule, approved by a second sales VP."""
    program = services.create_program(
        name="2025 渠道返利", period_start=date(2025, 1, 1), period_end=date(2025, 12, 31),
        created_by=vp,
    )  # fmt: skip
    services.save_rule(program, TIERED, saved_by=vp)
    services.save_rule(program, FLAT, saved_by=vp)
    return services.approve_program(program, approved_by=UserFactory(role="sales_vp"))


def sell(partner, category, amount, *, day=date(2025, 2, 10), credit=False):
    fields = {"doc_type": "credit_note", "credited_doc_number": "X"} if credit else {}
    return SalesLineFactory(
        partner=partner, category=category, date=day, net_amount=Decimal(amount), **fields
    )


def move_to_a_failed_run(statement):
    """The statement as if its run had failed (a finished run itself never changes)."""
    from incentives.models import RebateRun, RebateStatement

    run = statement.run
    failed = RebateRun.objects.create(program=run.program, period=run.period, kind=run.kind,
                                      rules=run.rules, status="failed")  # fmt: skip
    RebateStatement.objects.filter(pk=statement.pk).update(run=failed)
