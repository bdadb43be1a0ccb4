"""Partner issues: the SLA clock with its pauses, first response and resolution times,
closure, reopening, the digest's near/past-SLA items (once each), KPIs and access."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from partners.choices import Tier
from partners.models import Partner, PartnerEvent
from reminders import services as reminders
from reminders.choices import ReminderKind
from reminders.models import Digest
from sales.choices import DocType
from support import services
from support.choices import CloseReason, IssueStatus
from support.kpis import issue_kpis
from support.models import PartnerIssue
from tests.factories import PartnerFactory, SalesLineFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)


def day(n, hours=0):
    return T0 + timedelta(days=n, hours=hours)


def opened(partner, *, category="delivery", at=T0, **fields):
    return services.open_issue(
        partner, opened_by=partner.owner, title="到货延迟", category=category,
        description="上周的订单还没到", now=at, **fields,
    )  # fmt: skip


def test_the_sla_is_the_tier_s_days_times_24_hours_fixed_at_opening(partner, manager):
    issue = opened(partner)
    assert (issue.sla_days, issue.sla_due_at, issue.due_at) == (7, day(7), day(7))
    assert (issue.assignee, issue.manager, issue.tier) == (manager, manager, partner.tier)
    assert PartnerEvent.objects.filter(partner=partner, kind="issue_opened").count() == 1


def test_waiting_on_the_partner_pauses_the_clock(partner, manager):
    issue = opened(partner)
    services.start_issue(issue, started_by=manager, now=day(0, 2))
    services.wait_on_partner(issue, by=manager, message="请提供运单号", now=day(1))
    services.start_issue(issue, started_by=manager, now=day(3))  # the partner answered

    issue.refresh_from_db()
    assert (issue.due_at, issue.paused_seconds, issue.sla_due_at) == (
        day(9), 2 * 86400, day(7),
    )  # fmt: skip
    resolved = services.resolve_issue(issue, resolved_by=manager, resolution="已补发", now=day(8))
    assert resolved.sla_met is True  # 8 days after opening, 2 of them waiting
    assert resolved.resolution_seconds == 6 * 86400
    assert resolved.first_response_at == day(1)  # the request to the partner was shared


def test_resolved_after_the_moved_due_time_misses_the_sla(partner, manager):
    issue = opened(partner)
    services.wait_on_partner(issue, by=manager, message="请提供照片", now=day(1))
    services.resolve_issue(issue, resolved_by=manager, resolution="已处理", now=day(9, 1))
    issue.refresh_from_db()
    # resolving while waiting ends the wait first: 1 day of active time, within the SLA
    assert issue.sla_met is True
    assert issue.paused_seconds == 8 * 86400 + 3600

    late = opened(partner, at=T0)
    services.resolve_issue(late, resolved_by=manager, resolution="已处理", now=day(7, 1))
    late.refresh_from_db()
    assert (late.sla_met, late.resolution_seconds) == (False, 7 * 86400 + 3600)


def test_an_internal_comment_is_not_a_response_a_shared_one_is(partner, manager):
    issue = opened(partner)
    services.add_comment(
        issue, author=manager, body="内部：查库存", is_internal=True, now=day(0, 1)
    )
    issue.refresh_from_db()
    assert issue.first_response_at is None
    services.add_comment(issue, author=manager, body="已收到，正在处理", is_internal=False,
                         now=day(0, 3))  # fmt: skip
    issue.refresh_from_db()
    assert issue.first_response_at == day(0, 3)
    assert issue.first_response_seconds == 3 * 3600
    assert list(issue.comments.shared().values_list("body", flat=True)) == ["已收到，正在处理"]


def test_reopening_runs_the_clock_again_from_where_it_stopped(partner, manager):
    issue = opened(partner)
    services.resolve_issue(issue, resolved_by=manager, resolution="已补发", now=day(2))
    reopened = services.reopen_issue(issue, reopened_by=manager, reason="仍未收到", now=day(4))
    assert (reopened.status, reopened.resolved_at, reopened.sla_met) == ("reopened", None, None)
    assert reopened.due_at == day(9)  # 2 days resolved did not count
    assert reopened.reopen_count == 1
    again = services.resolve_issue(reopened, resolved_by=manager, resolution="已签收", now=day(8))
    assert again.sla_met is True


def test_a_resolved_issue_closes_itself_after_7_days(partner, manager):
    issue = opened(partner)
    services.resolve_issue(issue, resolved_by=manager, resolution="已补发", now=day(1))
    assert services.close_resolved_issues(now=day(7, 23)) == 0
    assert services.close_resolved_issues(now=day(8)) == 1
    issue.refresh_from_db()
    assert (issue.status, issue.close_reason) == (IssueStatus.CLOSED, CloseReason.AUTOMATIC)


def test_steps_out_of_order_are_refused(partner, manager):
    issue = opened(partner)
    with pytest.raises(ValidationError):
        services.close_issue(issue, closed_by=manager)
    with pytest.raises(ValidationError):
        services.reopen_issue(issue, reopened_by=manager, reason="x")
    with pytest.raises(ValidationError):
        services.resolve_issue(issue, resolved_by=manager, resolution="  ")


def test_an_assignee_must_see_the_partner(partner, outsider, support):
    issue = opened(partner)
    with pytest.raises(ValidationError):
        services.assign_issue(issue, assignee=outsider, assigned_by=None)
    assert services.assign_issue(issue, assignee=support, assigned_by=None).assignee == support


def sweep(on):
    moment = datetime(on.year, on.month, on.day, 20, tzinfo=SHANGHAI)
    reminders.sweep(now=moment, as_of=on)
    reminders.sweep(now=moment + timedelta(minutes=30), as_of=on)


def test_near_and_past_the_sla_reach_the_digest_once_each(partner, manager, vp, time_machine):
    time_machine.move_to(T0)
    issue = opened(partner)
    for offset in range(12):
        sweep(date(2026, 11, 2) + timedelta(days=offset))

    def found(kind):
        return [
            (digest.recipient_id, digest.for_date)
            for digest in Digest.objects.order_by("for_date", "recipient_id")
            for item in digest.items
            if item["kind"] == kind and item["issue"] == issue.pk
        ]

    # due 9 Nov 09:00: near from the sweep of 7 Nov 20:00 (≤ 2 days left); past on 9 Nov
    assert found(ReminderKind.ISSUE_NEAR_SLA) == [(manager.pk, date(2026, 11, 7))]
    assert found(ReminderKind.ISSUE_BREACHED) == sorted(
        [(manager.pk, date(2026, 11, 9)), (vp.pk, date(2026, 11, 9))]
    )


def test_a_paused_issue_is_not_announced(partner, manager, vp, time_machine):
    time_machine.move_to(T0)
    issue = opened(partner)
    services.wait_on_partner(issue, by=manager, message="请提供照片", now=day(1))
    for offset in range(12):
        sweep(date(2026, 11, 2) + timedelta(days=offset))
    kinds = {item["kind"] for digest in Digest.objects.all() for item in digest.items}
    assert not kinds & {ReminderKind.ISSUE_NEAR_SLA, ReminderKind.ISSUE_BREACHED}


def test_kpis_on_hand_computed_data(manager, colleague, partner):
    """Q4 2026: 3 issues opened, 1 complaint; 2 resolved, 1 within the SLA; 4 active
    partners (net sales > 0 in the quarter; one only credited, one without sales)."""
    core = PartnerFactory(owner=colleague, tier=Tier.CORE)
    for active in (partner, core, PartnerFactory(owner=manager), PartnerFactory(owner=colleague)):
        SalesLineFactory(partner=active, date=date(2026, 10, 5), net_amount=Decimal("100"))
    credited = PartnerFactory(owner=manager)
    SalesLineFactory(partner=credited, date=date(2026, 10, 5), net_amount=Decimal("50"),
                     doc_type=DocType.CREDIT_NOTE, credited_doc_number="INV-1")  # fmt: skip
    first = opened(partner, at=day(0))
    services.add_comment(first, author=manager, body="收到", is_internal=False, now=day(0, 2))
    services.resolve_issue(first, resolved_by=manager, resolution="已补发", now=day(2))
    second = opened(core, category="complaint", at=day(1))
    services.add_comment(second, author=colleague, body="收到", is_internal=False, now=day(1, 6))
    services.resolve_issue(second, resolved_by=colleague, resolution="已道歉", now=day(9))
    opened(partner, at=day(3))

    rows, total = issue_kpis(
        PartnerIssue.objects.all(), Partner.objects.all(), start=date(2026, 10, 1),
        end=date(2026, 12, 31), group_by="tier",
    )  # fmt: skip

    assert (total.opened, total.complaints, total.active_partners) == (3, 1, 4)
    assert total.complaint_rate == Decimal("25.0")
    assert (total.resolved, total.sla_met_percent) == (2, Decimal("50.0"))
    assert total.median_first_response_hours == Decimal("4.0")  # 2 h and 6 h
    assert total.median_resolution_hours == Decimal("120.0")  # 48 h and 192 h
    by_tier = {row.key: (row.opened, row.complaints, row.active_partners) for row in rows}
    assert by_tier == {Tier.CORE: (1, 1, 1), Tier.REGULAR: (2, 0, 3)}


def test_the_outsider_does_not_see_the_issue_and_the_vp_does(partner, outsider, vp, as_user):
    issue = opened(partner)
    assert as_user(outsider).get(issue.get_absolute_url()).status_code == 404
    assert issue.title not in as_user(outsider).get(reverse("support:issue_list")).content.decode()
    assert as_user(vp).get(issue.get_absolute_url()).status_code == 200


def test_a_partner_user_reaches_no_issue_page(partner, partner_user, as_user):
    assert as_user(partner_user).get(reverse("support:issue_list")).status_code == 403


def test_the_issue_journey_through_the_pages(partner, manager, as_user):
    client = as_user(manager)
    response = client.post(
        reverse("support:issue_create", args=[partner.pk]),
        {"title": "返利未到账", "category": "rebate", "priority": "high",
         "description": "三季度返利未到账"},
    )  # fmt: skip
    issue = PartnerIssue.objects.get()
    assert response.status_code == 302
    step = lambda name, **data: client.post(  # noqa: E731
        reverse("support:issue_step", args=[issue.pk, name]), data
    )
    assert step("comment", body="财务核对中", is_internal="on").status_code == 302
    assert step("wait", message="请提供对账单").status_code == 302
    assert step("start").status_code == 302
    assert step("resolve", resolution="").status_code == 400
    assert step("resolve", resolution="已补发返利").status_code == 302
    assert step("close").status_code == 302
    issue.refresh_from_db()
    assert (issue.status, issue.close_reason, issue.sla_met) == ("closed", "confirmed", True)
    page = client.get(issue.get_absolute_url()).content.decode()
    assert "财务核对中" in page
    partner_view = page.split('id="partner-view"')[1].split("</details>")[0]
    assert "财务核对中" not in partner_view
    assert "请提供对账单" in partner_view


def test_the_issue_list_costs_a_fixed_number_of_queries(
    partner, manager, as_user, django_assert_max_num_queries
):
    for _ in range(5):
        opened(partner)
    client = as_user(manager)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("support:issue_list"))
    assert page.content.decode().count("到货延迟") == 5


def test_the_api_opens_an_issue_ignoring_server_set_fields_and_refuses_another_s_partner(
    partner, outsider, manager, as_api_user
):
    client = as_api_user(manager)
    body = {"partner": partner.pk, "title": "系统无法登录", "category": "system",
            "description": "门户登录报错", "status": "closed", "sla_met": True}  # fmt: skip
    created = client.post("/api/v1/issues/", body, format="json")
    assert created.status_code == 201
    assert (created.json()["status"], created.json()["sla_met"]) == ("new", None)
    theirs = Partner.objects.get(owner=outsider)
    refused = client.post("/api/v1/issues/", {**body, "partner": theirs.pk}, format="json")
    assert refused.status_code == 400
    assert PartnerIssue.objects.count() == 1


def test_the_api_s_shared_comments_leave_out_internal_ones(partner, manager, as_api_user):
    issue = opened(partner)
    client = as_api_user(manager)
    client.post(f"/api/v1/issues/{issue.pk}/comments/", {"body": "内部备注"}, format="json")
    client.post(f"/api/v1/issues/{issue.pk}/comments/",
                {"body": "已安排补发", "is_internal": False}, format="json")  # fmt: skip
    shared = client.get(f"/api/v1/issues/{issue.pk}/comments/", {"shared": "1"}).json()
    assert [comment["body"] for comment in shared] == ["已安排补发"]
    resolved = client.post(f"/api/v1/issues/{issue.pk}/resolve/", {"resolution": "已补发"})
    assert resolved.json()["status"] == "resolved"


def test_support_works_only_the_issues_assigned_to_them(partner, manager, support, as_user):
    mine = opened(partner, assignee=support)
    theirs = opened(partner)
    client = as_user(support)
    step = "support:issue_step"
    assert client.post(reverse(step, args=[theirs.pk, "start"])).status_code == 403
    assert client.get(theirs.get_absolute_url()).status_code == 200  # reads every issue
    assert client.post(reverse(step, args=[mine.pk, "start"])).status_code == 302
    theirs.refresh_from_db()
    assert theirs.status == IssueStatus.NEW


def test_support_cannot_resolve_an_unassigned_issue_through_the_api(partner, support, as_api_user):
    issue = opened(partner)
    client = as_api_user(support)
    response = client.post(f"/api/v1/issues/{issue.pk}/resolve/", {"resolution": "x"})
    assert response.status_code == 403


def test_the_api_assigns_only_people_who_may_work_the_partner(partner, outsider, specialist,
                                                              manager, as_api_user):  # fmt: skip
    issue = opened(partner)
    client = as_api_user(manager)
    refused = client.post(f"/api/v1/issues/{issue.pk}/assign/", {"assignee": outsider.pk})
    assert refused.status_code == 400
    done = client.post(f"/api/v1/issues/{issue.pk}/assign/", {"assignee": specialist.pk})
    assert done.json()["assignee"] == specialist.pk


def test_an_issue_near_its_sla_after_the_morning_digest_is_in_the_next_one(
    partner, manager, time_machine
):
    """Opened at 15:00, it comes near its SLA at 15:00 on day 5: after that day's 08:00
    digest. It is in the next morning's, and never again."""
    from maintenance.services import create_adhoc_task

    create_adhoc_task(partner, created_by=None, title="回访", due_on=date(2026, 10, 1),
                      assignee=manager)  # an overdue task: a digest every morning  # fmt: skip
    issue = opened(partner, at=day(0, 6))  # 15:00
    for offset in range(1, 8):
        for hour in (8, 16):
            moment = day(offset).replace(hour=hour)
            time_machine.move_to(moment)
            reminders.sweep(now=moment)
    found = [
        (digest.for_date, item["kind"])
        for digest in Digest.objects.filter(recipient=manager).order_by("for_date")
        for item in digest.items
        if item.get("issue") == issue.pk
    ]
    assert found == [(date(2026, 11, 8), "issue_near_sla")]


def test_an_old_assignee_who_lost_the_partner_gets_no_issue_reminder(
    partner, manager, colleague, specialist, vp, time_machine
):
    time_machine.move_to(T0)
    issue = opened(partner, assignee=specialist)
    partner.specialists.clear()  # taken off the partner
    for offset in range(12):
        sweep(date(2026, 11, 2) + timedelta(days=offset))
    recipients = {
        digest.recipient_id
        for digest in Digest.objects.all()
        for item in digest.items
        if item.get("issue") == issue.pk
    }
    assert recipients == {vp.pk}


def test_month_and_date_filters_out_of_range_answer_400(vp, as_user, as_api_user):
    assert as_user(vp).get(reverse("surveys:results"), {"first": "0000-01"}).status_code == 200
    assert as_api_user(vp).get("/api/v1/survey-results/", {"last": "9999-12"}).status_code == 400
    assert as_api_user(vp).get("/api/v1/issue-kpis/", {"end": "9999-12-31"}).status_code == 400
    page = as_user(vp).get(reverse("support:issue_kpis"), {"end": "9999-12-31"})
    assert page.status_code == 200
    assert "2099" in page.content.decode()


def test_the_partner_page_costs_the_same_queries_with_more_issues_and_answers(
    partner, manager, as_user, django_assert_num_queries, time_machine
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from surveys import services as surveys
    from tests.surveys.conftest import answers, send_survey, with_email

    time_machine.move_to(T0)
    with_email(partner)
    _survey, token = send_survey(partner)
    surveys.submit_response(token, answers(2, 3, "慢"))
    opened(partner)
    client = as_user(manager)
    client.get(partner.get_absolute_url())
    with CaptureQueriesContext(connection) as few:
        client.get(partner.get_absolute_url())
    for _ in range(4):
        opened(partner)
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(partner.get_absolute_url()).content.decode()
    assert page.count("到货延迟") >= 5
    assert 'id="partner-satisfaction"' in page
