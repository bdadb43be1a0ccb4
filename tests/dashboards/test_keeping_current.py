"""How the summaries stay current: the queue is drained without losing a change made while a
batch is computed, one kick per transaction, rebate cost in its statement's period, the
period under way counting only what is due so far, the top-10 drill-down ranking inside the
viewer's portfolio."""

import threading
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

import dashboards.services as services
from dashboards import summary
from dashboards.models import PartnerPeriodSummary, SummaryQueue
from dashboards.myday import my_kpis
from dashboards.summary import rebuild
from incentives.models import RebateProgram, RebateRun, RebateStatement
from maintenance.choices import TaskKind, TaskStatus
from maintenance.models import MaintenanceTask
from sales.services import set_target
from tests.factories import PartnerFactory

from .conftest import TODAY, sale


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_while_its_partner_is_computed_is_not_lost(manager, monkeypatch):
    partner = PartnerFactory(owner=manager)
    sale(partner, date(2026, 11, 1), 100)
    rebuild(today=TODAY)
    SummaryQueue.objects.all().delete()
    SummaryQueue.objects.create(partner_id=partner.pk)  # an earlier change
    computed, written = threading.Event(), threading.Event()
    original = summary.refresh_partners
    calls = []

    def slow_refresh(ids, today=None, **kwargs):
        count = original(ids, today=today, **kwargs)
        calls.append(list(ids))
        computed.set()
        written.wait(0.5)  # the writer commits its line, then waits on the queue row
        return count

    def writer():
        computed.wait(10)
        with transaction.atomic():
            sale(partner, date(2026, 11, 2), 50)
            services.queue_partners([partner.pk])
        connection.close()
        written.set()

    monkeypatch.setattr(services, "refresh_partners", slow_refresh)
    thread = threading.Thread(target=writer)
    thread.start()
    services.drain_queue(today=TODAY)
    thread.join()
    services.drain_queue(today=TODAY)  # what beat's next sweep does
    row = PartnerPeriodSummary.objects.get(partner=partner, kind="M", start=date(2026, 11, 1))
    assert row.net_sales == Decimal("150.00")  # the writer's line is in: queued again, redone
    assert calls == [[partner.pk], [partner.pk]]
    assert not SummaryQueue.objects.exists()


@pytest.mark.django_db
def test_one_kick_per_transaction(manager, django_capture_on_commit_callbacks):
    partners = [PartnerFactory(owner=manager) for _ in range(3)]
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            for partner in partners:
                set_target(partner, year=2026, amount=Decimal(400), set_by=None)
    assert [callback.__name__ for callback in callbacks].count("_kick") == 1
    assert SummaryQueue.objects.filter(partner_id__in=[p.pk for p in partners]).count() == 3


@pytest.mark.django_db
def test_a_partner_that_cannot_be_computed_stays_queued_and_does_not_stop_the_others(
    manager, monkeypatch
):
    good, bad = PartnerFactory(owner=manager), PartnerFactory(owner=manager)
    SummaryQueue.objects.all().delete()
    services.queue_partners([good.pk, bad.pk])
    original = summary.refresh_partners

    def refresh(ids, today=None, **kwargs):
        if bad.pk in ids:
            raise RuntimeError("broken partner")
        return original(ids, today=today, **kwargs)

    monkeypatch.setattr(services, "refresh_partners", refresh)
    services.drain_queue(today=TODAY)
    assert PartnerPeriodSummary.objects.filter(partner=good).exists()
    assert list(SummaryQueue.objects.values_list("partner_id", flat=True)) == [bad.pk]


@pytest.mark.django_db
def test_rebate_cost_counts_in_its_statement_s_period(manager, vp):
    partner = PartnerFactory(owner=manager, cooperation_start_date=date(2025, 1, 1))
    program = RebateProgram.objects.create(
        name="2026", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31), created_by=vp
    )
    run = RebateRun.objects.create(program=program, period="2026-Q1", kind="final", status="done")
    RebateStatement.objects.create(
        run=run, program=program, partner=partner, period="2026-Q1", kind="final",
        status="approved", amount=Decimal(500), to_settle=Decimal(500), approved_by=vp,
        approved_at=timezone.now(),
    )  # fmt: skip
    rebuild(today=TODAY)
    rows = dict(
        PartnerPeriodSummary.objects.filter(partner=partner, kind="Q", start__year=2026)
        .values_list("start", "rebate_cost")
    )  # fmt: skip
    assert rows[date(2026, 1, 1)] == Decimal("500.00")
    assert rows[date(2026, 10, 1)] == Decimal("0.00")


@pytest.mark.django_db
def test_in_the_period_under_way_only_what_is_due_so_far_counts(manager):
    partner = PartnerFactory(owner=manager)
    MaintenanceTask.objects.filter(partner=partner).delete()
    MaintenanceTask.objects.create(
        partner=partner, kind=TaskKind.CONTACT, due_on=date(2026, 10, 5), assignee=manager,
        status=TaskStatus.DONE, completed_on=date(2026, 10, 4),
    )  # fmt: skip
    MaintenanceTask.objects.create(
        partner=partner, kind=TaskKind.VISIT, due_on=date(2026, 12, 20), assignee=manager
    )
    rebuild(today=date(2026, 10, 10))
    kpis = my_kpis(manager, today=date(2026, 10, 10))
    assert (kpis.mine.tasks_due, kpis.mine.timeliness) == (1, Decimal("100.0"))


@pytest.mark.django_db
def test_the_top_10_are_ranked_inside_the_viewer_s_portfolio(client, manager, colleague, channel):
    for index in range(10):
        sale(PartnerFactory(owner=colleague, legal_name=f"Big{index}"), date(2026, 8, 1), 100000)
    rebuild(today=TODAY)
    client.force_login(manager)
    response = client.get(
        reverse("partners:partner_list"), {"period": "2026Q3", "segment": "top10"}
    )
    assert [p.legal_name for p in response.context["object_list"]] == ["A", "B"]


@pytest.mark.django_db
def test_reactivating_a_partner_keeps_its_past_churn(manager, vp, time_machine):
    from dashboards.figures import Filters, tier_dashboard
    from dashboards.periods import Period
    from partners.choices import TerminationReason
    from partners.services import reactivate_partner, terminate_partner

    time_machine.move_to(datetime(2026, 11, 29, 12, tzinfo=ZoneInfo("Asia/Shanghai")))
    partner = PartnerFactory(owner=manager, cooperation_start_date=date(2025, 1, 1))
    terminate_partner(
        partner, terminated_by=vp, terminated_on=date(2026, 2, 10),
        reason=TerminationReason.PERFORMANCE,
    )  # fmt: skip
    partner.refresh_from_db()
    reactivate_partner(partner, reactivated_by=vp)  # today, 11-29
    rebuild(today=TODAY)
    q1, q2, q4 = (
        tier_dashboard(Period.parse(text), Filters(), first_covered=date(2024, 1, 1)).tiers["total"]
        for text in ("2026Q1", "2026Q2", "2026Q4")
    )
    assert (q1.at_start, q1.terminated, q1.partners) == (1, 1, 0)  # churned in Q1
    assert (q2.at_start, q2.partners) == (0, 0)  # not a partner in Q2
    assert q4.partners == 1  # back by the end of Q4


@pytest.mark.django_db
def test_a_partner_imported_terminated_then_reactivated_keeps_its_churn(manager, vp, time_machine):
    from dashboards.figures import Filters, tier_dashboard
    from dashboards.periods import Period
    from partners.choices import PartnerStatus, TerminationReason
    from partners.services import reactivate_partner

    time_machine.move_to(datetime(2026, 11, 29, 12, tzinfo=ZoneInfo("Asia/Shanghai")))
    partner = PartnerFactory(
        owner=manager,
        cooperation_start_date=date(2025, 1, 1),
        status=PartnerStatus.TERMINATED,
        terminated_on=date(2026, 2, 10),
        termination_reason=TerminationReason.OTHER,
    )  # as an import writes it: no status change on its timeline
    reactivate_partner(partner, reactivated_by=vp)
    rebuild(today=TODAY)
    q1 = tier_dashboard(Period.parse("2026Q1"), Filters(), first_covered=date(2024, 1, 1))
    assert q1.tiers["total"].terminated == 1


@pytest.mark.django_db
def test_editing_a_partner_s_province_queues_it(manager):
    from partners.services import update_partner

    partner = PartnerFactory(owner=manager)
    SummaryQueue.objects.all().delete()
    update_partner(partner, changed_by=manager, province="BJ")
    assert SummaryQueue.objects.filter(partner_id=partner.pk).exists()


@pytest.mark.django_db
def test_an_admin_edit_queues_the_partner(manager, rf):
    from django.contrib import admin

    from accounts.models import User
    from maintenance.models import Interaction

    partner = PartnerFactory(owner=manager)
    request = rf.post("/admin/")
    request.user = User.objects.create_superuser("root", "root@example.com", "x")
    SummaryQueue.objects.all().delete()
    partner.province = "BJ"
    admin.site._registry[type(partner)].save_model(request, partner, None, True)
    assert SummaryQueue.objects.filter(partner_id=partner.pk).exists()
    SummaryQueue.objects.all().delete()
    interaction = Interaction.objects.create(partner=partner, kind="call", summary="x")
    SummaryQueue.objects.all().delete()
    admin.site._registry[Interaction].delete_model(request, interaction)
    assert SummaryQueue.objects.filter(partner_id=partner.pk).exists()
