"""A small channel with hand-computed figures for 2026Q3 (today is 2026-11-29):

| partner | tier at Q3 end | history in Q3 | Q3 2026 net | Q3 2025 |
| --- | --- | --- | --- | --- |
| A | core | promoted regular → core on 08-15 | 1000 + 500 − 200 (CN) | 1000 |
| B | core | — | 700 | 0 |
| C | regular | terminated 08-10 | 100 | 400 |
| D | potential | cooperation starts 08-01 (new) | 0 | 0 |
| E (BJ) | regular | demoted core → regular on 09-01 | 0 | 200 |

A has a 2026 target of 1000 a quarter. Tasks due in Q3: A on time, A late, B open (core:
1 of 3 on time); E's is cancelled (not owed). Reviews due in Q3: A's held on time, B's not
held (core: 1 of 2)."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from maintenance.choices import TaskKind, TaskStatus
from maintenance.models import Interaction, MaintenanceTask
from partners.choices import PartnerStatus, Province, TerminationReason, Tier
from partners.models import TierChange
from reviews.choices import ReviewStatus
from reviews.models import BusinessReview
from sales.models import SalesTarget
from tests.factories import CategoryFactory, PartnerFactory, SalesLineFactory

TODAY = date(2026, 11, 29)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def sale(partner, day, amount, *, credit_of=""):
    kind = {"doc_type": "credit_note", "credited_doc_number": credit_of} if credit_of else {}
    return SalesLineFactory(partner=partner, date=day, net_amount=Decimal(amount), **kind)


@pytest.fixture
def channel(manager, colleague):
    category = CategoryFactory()
    a = PartnerFactory(legal_name="A", tier=Tier.CORE, owner=manager)
    b = PartnerFactory(legal_name="B", tier=Tier.CORE, owner=manager)
    c = PartnerFactory(
        legal_name="C",
        tier=Tier.REGULAR,
        owner=colleague,
        status=PartnerStatus.TERMINATED,
        terminated_on=date(2026, 8, 10),
        termination_reason=TerminationReason.PERFORMANCE,
    )
    d = PartnerFactory(
        legal_name="D", tier=Tier.POTENTIAL, owner=colleague,
        cooperation_start_date=date(2026, 8, 1),
    )  # fmt: skip
    e = PartnerFactory(
        legal_name="E", tier=Tier.REGULAR, owner=colleague, province=Province.BEIJING
    )
    TierChange.objects.create(
        partner=a, from_tier=Tier.REGULAR, to_tier=Tier.CORE, effective_on=date(2026, 8, 15),
        reason="scores",
    )  # fmt: skip
    TierChange.objects.create(
        partner=e, from_tier=Tier.CORE, to_tier=Tier.REGULAR, effective_on=date(2026, 9, 1),
        reason="scores",
    )  # fmt: skip
    invoice = SalesLineFactory(
        partner=a, date=date(2026, 7, 3), net_amount=Decimal(1000), category=category
    )
    sale(a, date(2026, 9, 30), 500)
    sale(a, date(2026, 8, 20), 200, credit_of=invoice.doc_number)
    sale(a, date(2025, 8, 1), 1000)
    sale(b, date(2026, 9, 1), 700)
    sale(c, date(2026, 7, 31), 100)
    sale(c, date(2025, 9, 30), 400)
    sale(e, date(2025, 7, 1), 200)
    sale(a, date(2026, 10, 1), 999)  # Q4: not in Q3
    SalesTarget.objects.create(
        partner=a, year=2026, amount=4000, q1=1000, q2=1000, q3=1000, q4=1000
    )
    for due, status, done in [
        (date(2026, 8, 10), TaskStatus.DONE, date(2026, 8, 9)),
        (date(2026, 9, 1), TaskStatus.DONE, date(2026, 9, 5)),
    ]:
        MaintenanceTask.objects.create(
            partner=a, kind=TaskKind.CONTACT, due_on=due, assignee=manager, status=status,
            completed_on=done,
        )  # fmt: skip
    MaintenanceTask.objects.create(
        partner=b, kind=TaskKind.CONTACT, due_on=date(2026, 7, 15), assignee=manager
    )
    MaintenanceTask.objects.create(
        partner=e, kind=TaskKind.VISIT, due_on=date(2026, 7, 15), assignee=colleague,
        status=TaskStatus.CANCELLED,
    )  # fmt: skip
    BusinessReview.objects.create(
        partner=a, year=2026, quarter=3, due_on=date(2026, 9, 30), tier=Tier.CORE,
        manager=manager, status=ReviewStatus.CLOSED, held_on=date(2026, 9, 20),
        overall_score=Decimal("2.50"), sales_score=2, service_score=3, market_score=3,
        satisfaction_score=2, figures={},
    )  # fmt: skip
    BusinessReview.objects.create(
        partner=b, year=2026, quarter=3, due_on=date(2026, 9, 30), tier=Tier.CORE, manager=manager
    )
    interaction = Interaction.objects.create(
        partner=a, kind="call", occurred_at=datetime(2026, 9, 30, 23, 30, tzinfo=SHANGHAI),
        summary="Q3 call", logged_by=manager,
    )  # fmt: skip
    interaction.staff.add(manager)
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "category": category}
