"""Cadence by tier, completion by interactions, re-planning, ad-hoc tasks, timeliness."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection

from maintenance import services
from maintenance.choices import TaskKind, TaskStatus
from maintenance.kpis import timeliness_by_assignee
from maintenance.models import MaintenanceTask, TierPolicy
from partners.choices import PartnerStatus, Tier
from partners.services import change_tier, terminate_partner
from tests.factories import ContactFactory, PartnerFactory, UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 10, 15)  # in the past: interactions cannot be logged in the future


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def call(partner, day, *, kind="call", by=None):
    return services.log_interaction(
        partner, logged_by=by or partner.owner, kind=kind, summary="沟通", occurred_at=at(day)
    )


def open_task(partner, kind=TaskKind.CONTACT):
    return MaintenanceTask.objects.open().get(partner=partner, kind=kind)


@pytest.fixture
def core(manager):
    return PartnerFactory(owner=manager, tier=Tier.CORE)


@pytest.fixture
def regular(manager):
    return PartnerFactory(owner=manager, tier=Tier.REGULAR)


def test_the_default_policies_are_product_md_s(db):
    policy = {p.tier: p for p in TierPolicy.objects.all()}
    assert (policy["core"].contact_every_days, policy["core"].visit_every_days) == (14, 30)
    assert (policy["regular"].contact_every_days, policy["regular"].visit_every_days) == (30, 90)
    assert (policy["potential"].contact_every_days, policy["potential"].visit_every_days) == (
        14,
        None,
    )


def test_a_core_partner_without_contact_for_15_days_is_overdue_a_regular_one_is_not(core, regular):
    call(core, TODAY - timedelta(days=15))
    call(regular, TODAY - timedelta(days=15))

    overdue = MaintenanceTask.objects.overdue(TODAY).filter(kind=TaskKind.CONTACT)

    assert list(overdue.values_list("partner", flat=True)) == [core.pk]
    assert open_task(regular).due_on == TODAY + timedelta(days=15)


def test_the_sweep_plans_the_first_tasks_from_the_day_the_partner_arrived(manager):
    potential = PartnerFactory(owner=manager, tier=Tier.POTENTIAL)
    core = PartnerFactory(owner=manager, tier=Tier.CORE)
    arrived = potential.created_at.astimezone(SHANGHAI).date()

    created = services.ensure_planned_tasks(today=TODAY)

    assert created == 3  # contact for both, a visit only for the core partner
    assert open_task(potential).due_on == arrived + timedelta(days=14)
    assert not MaintenanceTask.objects.filter(partner=potential, kind=TaskKind.VISIT).exists()
    assert open_task(core, TaskKind.VISIT).due_on == arrived + timedelta(days=30)
    assert services.ensure_planned_tasks(today=TODAY) == 0  # idempotent


def test_a_contact_completes_the_open_task_on_time_and_plans_the_next(core):
    call(core, TODAY - timedelta(days=20))
    first = open_task(core)

    call(core, first.due_on)

    first.refresh_from_db()
    assert (first.status, first.completed_on, first.is_done_on_time) == (
        TaskStatus.DONE,
        first.due_on,
        True,
    )
    assert open_task(core).due_on == first.due_on + timedelta(days=14)


def test_a_late_contact_completes_the_task_late(core):
    call(core, TODAY - timedelta(days=30))
    task = open_task(core)
    call(core, TODAY)
    task.refresh_from_db()
    assert task.is_done_on_time is False


def test_a_call_does_not_complete_the_visit_task_an_on_site_visit_completes_both(core):
    call(core, TODAY - timedelta(days=40), kind="visit")
    visit = open_task(core, TaskKind.VISIT)

    call(core, TODAY - timedelta(days=5))
    assert open_task(core, TaskKind.VISIT) == visit

    call(core, TODAY, kind="visit")
    visit.refresh_from_db()
    assert visit.status == TaskStatus.DONE
    assert open_task(core, TaskKind.VISIT).due_on == TODAY + timedelta(days=30)
    assert open_task(core).due_on == TODAY + timedelta(days=14)


def test_an_interaction_logged_late_and_older_than_the_last_one_completes_nothing(core):
    call(core, TODAY - timedelta(days=2))
    task = open_task(core)

    call(core, TODAY - timedelta(days=10))

    assert open_task(core) == task


def test_a_tier_change_replans_the_open_tasks(core, vp):
    call(core, TODAY - timedelta(days=3), kind="visit")

    change_tier(core, to_tier=Tier.REGULAR, changed_by=vp, reason="销量下降")
    assert open_task(core).due_on == TODAY - timedelta(days=3) + timedelta(days=30)
    assert open_task(core, TaskKind.VISIT).due_on == TODAY - timedelta(days=3) + timedelta(90)

    change_tier(core, to_tier=Tier.POTENTIAL, changed_by=vp, reason="重新培育")
    assert not MaintenanceTask.objects.open().filter(partner=core, kind=TaskKind.VISIT).exists()
    assert open_task(core).due_on == TODAY - timedelta(days=3) + timedelta(days=14)

    change_tier(core, to_tier=Tier.CORE, changed_by=vp, reason="恢复")
    assert open_task(core, TaskKind.VISIT).due_on == TODAY - timedelta(days=3) + timedelta(30)


def test_a_policy_change_moves_the_due_dates_and_is_kept_in_history(core, regular, vp):
    call(core, TODAY - timedelta(days=1))
    call(regular, TODAY - timedelta(days=1))
    policy = TierPolicy.objects.get(tier=Tier.CORE)

    services.update_tier_policy(policy, changed_by=vp, contact_every_days=7)

    assert open_task(core).due_on == TODAY - timedelta(days=1) + timedelta(days=7)
    assert open_task(regular).due_on == TODAY - timedelta(days=1) + timedelta(days=30)
    assert policy.history.first().history_user == vp


def test_a_policy_with_a_bad_cadence_is_refused(vp, db):
    policy = TierPolicy.objects.get(tier=Tier.CORE)
    with pytest.raises(ValidationError):
        services.update_tier_policy(policy, changed_by=vp, contact_every_days=0)


def test_terminating_cancels_the_tasks_and_the_nightly_reconcile_follows_the_owner(
    core, colleague, vp
):
    call(core, TODAY - timedelta(days=1))
    other = PartnerFactory(owner=colleague, tier=Tier.CORE)
    call(other, TODAY - timedelta(days=1))
    other.owner = core.owner
    other.save()
    terminate_partner(
        core,
        terminated_by=vp,
        terminated_on=TODAY,
        reason="performance",
        note="",
        expected_version=None,
    )

    MaintenanceTask.objects.filter(partner=other).update(assignee=colleague)  # written around
    services.reconcile_all(today=TODAY)

    assert open_task(other).assignee == core.owner
    assert not MaintenanceTask.objects.open().filter(partner=core).exists()


def test_one_open_planned_task_per_partner_and_kind_in_the_database(core):
    call(core, TODAY)
    with pytest.raises(IntegrityError), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO maintenance_maintenancetask (partner_id, kind, title, due_on, "
            "assignee_id, status, created_at, note) "
            "VALUES (%s, 'contact', '', '2027-01-01', %s, 'open', now(), '')",
            [core.pk, core.owner_id],
        )


def test_ad_hoc_tasks_are_created_reassigned_completed_and_cancelled(core, specialist, outsider):
    core.specialists.add(specialist)
    task = services.create_adhoc_task(
        core, created_by=core.owner, title="寄送新品样机", due_on=TODAY, assignee=core.owner
    )

    with pytest.raises(ValidationError):
        services.reassign_task(task, assignee=outsider, reassigned_by=core.owner)
    task = services.reassign_task(task, assignee=specialist, reassigned_by=core.owner)
    task = services.complete_task(task, completed_by=specialist)

    assert (task.assignee, task.status) == (specialist, TaskStatus.DONE)
    with pytest.raises(ValidationError):
        services.cancel_task(task, cancelled_by=core.owner, note="x")
    other = services.create_adhoc_task(
        core, created_by=core.owner, title="回访", due_on=TODAY, assignee=core.owner
    )
    with pytest.raises(ValidationError):
        services.cancel_task(other, cancelled_by=core.owner, note=" ")
    assert services.cancel_task(other, cancelled_by=core.owner, note="已电话沟通").status == (
        TaskStatus.CANCELLED
    )


def test_planned_tasks_are_completed_only_by_logging_the_interaction(core):
    call(core, TODAY)
    with pytest.raises(ValidationError):
        services.complete_task(open_task(core), completed_by=core.owner)


def test_contacts_must_be_the_partner_s_and_interactions_not_in_the_future(core):
    stranger = ContactFactory()
    with pytest.raises(ValidationError):
        services.log_interaction(
            core, logged_by=core.owner, kind="call", summary="x", contacts=[stranger]
        )
    with pytest.raises(ValidationError):
        services.log_interaction(
            core, logged_by=core.owner, kind="call", summary="x",
            occurred_at=at(date(2999, 1, 1)),
        )  # fmt: skip


@pytest.mark.parametrize(
    ("content", "accepted"),
    [
        (b"\xff\xd8\xff\xe0 jpeg", True),
        (b"%PDF-1.7", True),
        (b"\x00\x00\x00\x18ftypheic", True),
        (b"MZ\x90\x00 an exe named photo.jpg", False),
        (b"<script>alert(1)</script>", False),
    ],
)
def test_attachments_are_judged_by_their_content(core, content, accepted):
    upload = SimpleUploadedFile("photo.jpg", content)
    if accepted:
        interaction = services.log_interaction(
            core, logged_by=core.owner, kind="visit", summary="拜访", attachments=[upload]
        )
        assert interaction.attachments.count() == 1
    else:
        with pytest.raises(ValidationError):
            services.log_interaction(
                core, logged_by=core.owner, kind="visit", summary="拜访", attachments=[upload]
            )


def test_an_attachment_over_10_mb_is_refused(core):
    upload = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024))
    with pytest.raises(ValidationError, match="10 MB"):
        services.check_attachment(upload)


def test_timeliness_counts_tasks_due_in_the_period_done_on_or_before_their_due_date(db):
    alice, bob = UserFactory(), UserFactory()
    partner = PartnerFactory(owner=alice)
    bob_partner = PartnerFactory(owner=bob)
    q4 = (date(2026, 10, 1), date(2026, 12, 31))

    def task(assignee, due, done=None, status=TaskStatus.OPEN, on=partner):
        return MaintenanceTask.objects.create(
            partner=on, kind=TaskKind.ADHOC, title="t", assignee=assignee, due_on=due,
            status=TaskStatus.DONE if done else status, completed_on=done,
        )  # fmt: skip

    task(alice, date(2026, 10, 5), done=date(2026, 10, 5))  # on time
    task(alice, date(2026, 10, 5), done=date(2026, 10, 6))  # late
    task(alice, date(2026, 11, 5))  # still open
    task(alice, date(2026, 11, 5), status=TaskStatus.CANCELLED)  # never owed
    task(alice, date(2026, 9, 30), done=date(2026, 9, 1))  # due before the period
    task(bob, date(2026, 12, 31), done=date(2026, 12, 1), on=bob_partner)

    team = timeliness_by_assignee(*q4)

    assert (team.people[alice.pk].due, team.people[alice.pk].on_time) == (3, 1)
    assert str(team.people[alice.pk].percent) == "33.3"
    assert (team.total.due, team.total.on_time, str(team.total.percent)) == (4, 2, "50.0")
    assert timeliness_by_assignee(date(2020, 1, 1), date(2020, 3, 31)).total.percent is None


def test_terminated_partners_get_no_new_tasks(core, vp):
    terminate_partner(
        core,
        terminated_by=vp,
        terminated_on=TODAY,
        reason="performance",
        note="",
        expected_version=None,
    )
    core.refresh_from_db()
    assert core.status == PartnerStatus.TERMINATED
    call(core, TODAY)
    assert not MaintenanceTask.objects.open().filter(partner=core).exists()
