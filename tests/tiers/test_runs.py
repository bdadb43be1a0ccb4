"""Evaluation runs: promotions at once, demotions only after consecutive evaluations below
and never in a new partner's first quarters, supersession by a newer run, approval effects
(history, re-planning, digest item), rejection, effective dates."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from channelhub.lib.periods import Quarter
from maintenance.models import MaintenanceTask
from maintenance.services import ensure_planned_tasks
from partners.choices import Tier
from partners.models import Partner, TierChange
from reminders import services as reminders
from reminders.choices import ReminderKind
from reminders.models import Digest
from tests.factories import CategoryFactory, PartnerFactory, SalesLineFactory
from tiers import services
from tiers.choices import ProposalStatus, RunStatus
from tiers.models import EvaluationRun

from .conftest import Q4, at, evaluate

Q3 = Quarter(2026, 3)


def star(owner, tier=Tier.REGULAR, started=date(2018, 1, 1)):
    """Scores high: 6 M in every quarter's window, growing, 5 categories, 12 interactions."""
    partner = PartnerFactory(
        owner=owner,
        tier=tier,
        cooperation_start_date=started,
        coverage=["GX", "HN", "FJ", "JX", "HB", "HA", "SD", "ZJ", "JS"],
    )
    for quarter_start in [date(2024, 7, 1) + timedelta(days=92 * n) for n in range(9)]:
        SalesLineFactory(
            partner=partner,
            date=quarter_start + timedelta(days=5),
            net_amount=Decimal("2000000"),
            category=CategoryFactory(),
        )
    return partner


def idle(owner, tier=Tier.REGULAR, started=date(2018, 1, 1)):
    """Scores low: nothing in any window."""
    return PartnerFactory(owner=owner, tier=tier, cooperation_start_date=started)


def proposals(run, **filters):
    return {(p.partner_id, p.to_tier): p.status for p in run.tier_proposals.filter(**filters)}


def test_a_promotion_is_proposed_at_once(manager, time_machine):
    time_machine.move_to(at(date(2026, 10, 2)))
    rising = star(manager)
    run = evaluate()
    assert run.status == RunStatus.DONE
    assert (run.total, run.scored) == (1, 1)
    assert proposals(run) == {(rising.pk, Tier.CORE): ProposalStatus.OPEN}
    proposal = run.tier_proposals.get()
    assert (proposal.from_tier, proposal.direction) == (Tier.REGULAR, "up")


def test_a_demotion_needs_two_consecutive_evaluations_below(manager, time_machine):
    time_machine.move_to(at(date(2026, 7, 2)))
    slipping = idle(manager)
    first = evaluate(Q3)
    assert proposals(first) == {}  # once below: no demotion yet
    time_machine.move_to(at(date(2026, 10, 2)))
    second = evaluate(Q4)
    assert proposals(second) == {(slipping.pk, Tier.POTENTIAL): ProposalStatus.OPEN}


def test_a_run_again_in_the_same_quarter_does_not_count_twice(manager, time_machine):
    time_machine.move_to(at(date(2026, 10, 2)))
    idle(manager)
    evaluate(Q4)
    assert proposals(evaluate(Q4)) == {}


def test_a_new_partner_is_not_demoted_in_its_first_two_quarters(manager, time_machine):
    time_machine.move_to(at(date(2026, 7, 2)))
    newcomer = idle(manager, started=date(2026, 5, 1))
    veteran = idle(manager)
    evaluate(Q3)
    time_machine.move_to(at(date(2026, 10, 2)))
    run = evaluate(Q4)
    assert proposals(run) == {(veteran.pk, Tier.POTENTIAL): ProposalStatus.OPEN}
    assert run.scores.get(partner=newcomer).is_below is True


def test_a_newer_run_supersedes_the_open_proposals_of_the_older(manager, time_machine):
    time_machine.move_to(at(date(2026, 10, 2)))
    rising = star(manager)
    first = evaluate()
    second = evaluate()
    assert proposals(first) == {(rising.pk, Tier.CORE): ProposalStatus.SUPERSEDED}
    assert proposals(second) == {(rising.pk, Tier.CORE): ProposalStatus.OPEN}


def test_only_one_run_at_a_time(vp, db):
    services.start_run(Q4, started_by=vp)
    with pytest.raises(ValidationError):
        services.start_run(Q4, started_by=vp)


def test_approval_changes_the_tier_with_history_replanning_and_a_digest_item(
    manager, vp, time_machine
):
    time_machine.move_to(at(date(2026, 10, 2)))
    rising = star(manager)
    ensure_planned_tasks(Partner.objects.filter(pk=rising.pk), today=date(2026, 10, 2))
    before = MaintenanceTask.objects.get(partner=rising, kind="contact").due_on
    proposal = evaluate().tier_proposals.get()

    services.approve_proposals([proposal], approved_by=vp, comment="季度评估通过")

    rising.refresh_from_db()
    assert rising.tier == Tier.CORE
    change = TierChange.objects.get(partner=rising)
    assert (change.from_tier, change.to_tier, change.changed_by, change.effective_on) == (
        Tier.REGULAR,
        Tier.CORE,
        vp,
        date(2026, 10, 2),
    )
    assert "2026Q4" in change.reason
    assert "季度评估通过" in change.reason
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPLIED
    after = MaintenanceTask.objects.get(partner=rising, kind="contact", status="open").due_on
    assert after < before  # core partners are contacted every 14 days, regular every 30
    for day in (date(2026, 10, 2), date(2026, 10, 3)):
        reminders.sweep(now=at(day, 20), as_of=day)
    items = [
        (digest.recipient_id, digest.for_date, item["to_tier"])
        for digest in Digest.objects.all()
        for item in digest.items
        if item["kind"] == ReminderKind.TIER_CHANGED
    ]
    assert items == [(manager.pk, date(2026, 10, 2), Tier.CORE)]


def test_an_approval_effective_later_is_applied_on_that_day(manager, vp, time_machine):
    time_machine.move_to(at(date(2026, 10, 2)))
    rising = star(manager)
    proposal = evaluate().tier_proposals.get()
    services.approve_proposals([proposal], approved_by=vp, effective_on=date(2026, 10, 15))
    rising.refresh_from_db()
    assert rising.tier == Tier.REGULAR
    assert services.apply_due_proposals(date(2026, 10, 14)) == 0
    assert services.apply_due_proposals(date(2026, 10, 15)) == 1
    rising.refresh_from_db()
    assert rising.tier == Tier.CORE
    assert TierChange.objects.get(partner=rising).effective_on == date(2026, 10, 15)


def test_rejection_needs_a_comment_and_a_decided_proposal_stays_decided(manager, vp, time_machine):
    time_machine.move_to(at(date(2026, 10, 2)))
    star(manager)
    proposal = evaluate().tier_proposals.get()
    with pytest.raises(ValidationError):
        services.reject_proposals([proposal], rejected_by=vp, comment=" ")
    services.reject_proposals([proposal], rejected_by=vp, comment="先观察一个季度")
    with pytest.raises(ValidationError):
        services.approve_proposals([proposal], approved_by=vp)
    assert not TierChange.objects.exists()


def test_bulk_approval_decides_every_ticked_proposal(manager, vp, time_machine):
    time_machine.move_to(at(date(2026, 10, 2)))
    partners = [star(manager) for _ in range(3)]
    run = evaluate()
    services.approve_proposals(list(run.tier_proposals.all()), approved_by=vp)
    assert set(
        Partner.objects.filter(pk__in=[p.pk for p in partners]).values_list("tier", flat=True)
    ) == {Tier.CORE}
    assert TierChange.objects.count() == 3


def test_the_quarter_is_evaluated_once_by_beat(
    db, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(at(date(2026, 10, 1)))
    with django_capture_on_commit_callbacks(execute=False):
        assert services.ensure_quarter_evaluation(date(2026, 10, 1)) is not None
    assert services.ensure_quarter_evaluation(date(2026, 10, 2)) is None
    assert EvaluationRun.objects.count() == 1


def test_a_failing_run_is_recorded(db, monkeypatch):
    run = services.start_run(Q4, started_by=None)

    def explode(run):
        raise RuntimeError("disk full")

    monkeypatch.setattr("tiers.engine.evaluate_run", explode)
    with pytest.raises(RuntimeError):
        services.run_evaluation(run.pk)
    run.refresh_from_db()
    assert (run.status, run.error) == (RunStatus.FAILED, "RuntimeError: disk full")


def _earlier(partner, quarter, *, was, earned):
    """An earlier finished run in which the partner, then `was`, earned `earned`."""
    from tiers.models import PartnerScore

    run = EvaluationRun.objects.create(
        year=quarter.year,
        quarter=quarter.number,
        model=services.scoring_model().snapshot(),
        status=RunStatus.DONE,
    )
    PartnerScore.objects.create(
        run=run,
        partner=partner,
        current_tier=was,
        earned_tier=earned,
        score=Decimal("50"),
        criteria={},
        is_below=True,
    )


@pytest.mark.parametrize(
    ("earned_before", "demoted"), [(Tier.REGULAR, False), (Tier.POTENTIAL, True)]
)
def test_evaluations_below_count_against_the_tier_the_partner_has_now(
    manager, time_machine, earned_before, demoted
):
    """Just demoted core → regular (it earned `earned_before` then): a demotion from regular
    needs two evaluations below regular, not below core."""
    time_machine.move_to(at(date(2026, 10, 2)))
    partner = idle(manager, tier=Tier.REGULAR)
    _earlier(partner, Q3, was=Tier.CORE, earned=earned_before)
    run = evaluate(Q4)
    assert bool(proposals(run)) is demoted


def test_a_future_quarter_cannot_be_evaluated(vp, time_machine):
    time_machine.move_to(at(date(2026, 10, 2)))
    with pytest.raises(ValidationError):
        services.start_run(Quarter(2027, 1), started_by=vp)
    with pytest.raises(ValidationError):
        services.start_run(Quarter(1999, 4), started_by=vp)


def test_a_run_whose_worker_died_is_taken_over_and_does_not_block(manager, time_machine):
    now = at(date(2026, 10, 2))
    time_machine.move_to(now)
    idle(manager)
    stuck = services.start_run(Q4, started_by=None)
    alive = EvaluationRun.objects.filter(pk=stuck.pk)
    alive.update(status=RunStatus.RUNNING, heartbeat_at=now - timedelta(minutes=10))
    with pytest.raises(ValidationError):  # progress 10 minutes ago: it still runs
        services.start_run(Q4, started_by=None)
    assert services.run_evaluation(stuck.pk).status == RunStatus.RUNNING  # not run twice
    alive.update(heartbeat_at=now - timedelta(hours=1))  # the worker died an hour ago
    redelivered = services.run_evaluation(stuck.pk)  # the task again, redelivered
    assert (redelivered.status, redelivered.scored) == (RunStatus.DONE, 1)


def test_a_stale_queued_run_is_abandoned_by_the_next_start(vp, time_machine):
    time_machine.move_to(at(date(2026, 10, 2), 8))
    never_ran = services.start_run(Q4, started_by=vp)
    time_machine.move_to(at(date(2026, 10, 2), 10))
    services.start_run(Q4, started_by=vp)
    never_ran.refresh_from_db()
    assert never_ran.status == RunStatus.FAILED


def test_a_manual_tier_change_supersedes_the_open_proposal(manager, vp, time_machine):
    from partners.services import change_tier

    time_machine.move_to(at(date(2026, 10, 2)))
    rising = star(manager)
    proposal = evaluate().tier_proposals.get()
    change_tier(rising, to_tier=Tier.POTENTIAL, changed_by=vp, reason="合同调整")
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SUPERSEDED


def test_a_new_partner_s_first_tier_is_not_announced_but_a_change_is(manager, vp, time_machine):
    time_machine.move_to(at(date(2026, 10, 2)))
    partner = idle(manager)
    TierChange.objects.create(
        partner=partner,
        from_tier="",
        to_tier=Tier.REGULAR,
        effective_on=date(2026, 10, 2),
        reason="新建",
    )
    from partners.services import change_tier

    change_tier(partner, to_tier=Tier.CORE, changed_by=vp, reason="战略客户")
    reminders.sweep(now=at(date(2026, 10, 2), 20), as_of=date(2026, 10, 2))
    reminders.sweep(now=at(date(2026, 10, 3), 20), as_of=date(2026, 10, 3))
    items = [
        (item["from_tier"], item["to_tier"], digest.for_date)
        for digest in Digest.objects.filter(recipient=manager)
        for item in digest.items
        if item["kind"] == ReminderKind.TIER_CHANGED
    ]
    assert items == [(Tier.REGULAR, Tier.CORE, date(2026, 10, 2))]
