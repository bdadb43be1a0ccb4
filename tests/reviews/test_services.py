"""Scheduling by tier, the review record's figures, freezing, the scorecard, the workflow,
action items and the completion KPI."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from channelhub.lib.periods import Quarter
from maintenance.services import policies, update_tier_policy
from partners.choices import PartnerStatus, Tier, TimelineKind
from partners.services import terminate_partner, update_partner
from reminders.models import Team
from reviews import services
from reviews.choices import ActionStatus, ReviewStatus
from reviews.kpis import review_completion
from reviews.models import BusinessReview, ReviewPlanRun
from sales.services import set_target
from tests.factories import (
    CategoryFactory,
    ContactFactory,
    PartnerFactory,
    SalesLineFactory,
    UserFactory,
)

from .conftest import Q4, at, held_review, rate


@pytest.fixture
def tiers(manager):
    return {
        tier: PartnerFactory(owner=manager, tier=tier, legal_name=f"{tier}渠道")
        for tier in (Tier.CORE, Tier.REGULAR, Tier.POTENTIAL)
    }


def planned_tiers(quarter):
    return sorted(
        BusinessReview.objects.filter(year=quarter.year, quarter=quarter.number).values_list(
            "tier", flat=True
        )
    )


def test_a_half_yearly_potential_partner_is_not_due_in_the_off_quarter(tiers):
    assert services.plan_quarter(Quarter(2026, 1)) == 2
    assert planned_tiers(Quarter(2026, 1)) == ["core", "regular"]
    assert services.plan_quarter(Quarter(2026, 2)) == 3
    assert planned_tiers(Quarter(2026, 2)) == ["core", "potential", "regular"]
    assert planned_tiers(Quarter(2026, 3)) == []


def test_a_tier_reviewed_half_yearly_by_policy_follows_it(tiers):
    update_tier_policy(policies()[Tier.REGULAR], changed_by=None, review_every="half_year")
    services.plan_quarter(Quarter(2026, 3))
    assert planned_tiers(Quarter(2026, 3)) == ["core"]


def test_the_plan_is_made_once_and_skips_terminated_or_ownerless_partners(tiers, manager):
    terminated = PartnerFactory(
        owner=manager, status=PartnerStatus.TERMINATED, terminated_on=date(2026, 9, 1),
        termination_reason="other",
    )  # fmt: skip
    ownerless = PartnerFactory(owner=None)
    assert services.plan_quarter(Q4) == 3  # Q4 closes a half-year: potential partners too
    assert services.plan_quarter(Q4) == 0  # on demand again: nothing twice
    planned = BusinessReview.objects.filter(year=2026, quarter=4)
    assert not planned.filter(partner__in=[terminated, ownerless]).exists()
    review = planned.get(partner=tiers[Tier.CORE])
    assert (review.due_on, review.manager, review.status) == (
        date(2026, 12, 31),
        manager,
        "planned",
    )


def test_beat_plans_a_quarter_once_even_after_missing_its_first_day(tiers):
    assert services.ensure_quarter_plan(date(2026, 10, 3)) == 3  # beat was down on 1 October
    PartnerFactory(owner=tiers[Tier.CORE].owner, tier=Tier.CORE)
    assert services.ensure_quarter_plan(date(2026, 10, 4)) == 0
    assert ReviewPlanRun.objects.filter(year=2026, quarter=4).count() == 1


def test_one_review_per_partner_and_quarter(partner):
    services.plan_review(partner, quarter=Q4, planned_by=None)
    with pytest.raises(ValidationError, match="2026Q4"):
        services.plan_review(partner, quarter=Q4, planned_by=None)
    with pytest.raises(IntegrityError):
        BusinessReview.objects.create(
            partner=partner, year=2026, quarter=4, due_on=Q4.end, tier="core",
            manager=partner.owner,
        )  # fmt: skip


def test_a_cancelled_review_frees_the_quarter(partner, now):
    review = services.plan_review(partner, quarter=Q4, planned_by=None)
    services.cancel_review(review, cancelled_by=partner.owner, reason="合并到年度会议")
    assert services.plan_review(partner, quarter=Q4, planned_by=None).status == "planned"


@pytest.fixture
def sold(partner):
    """Hand-computed: Q3 2026 = 1000 + 500 − 200 (credit) = 1300 (A 800, B 500);
    Q1 + Q2 2026 = 700; a year earlier Q3 2025 = 1000, H1 2025 = 300; a line in Q4 2026 and
    one in Q4 2025 that the Q3 review must not count. Target 2026: 1 200 a quarter."""
    a, b = CategoryFactory(name="空调"), CategoryFactory(name="冰箱")
    lines = [
        (date(2026, 7, 3), a, "1000.00", "invoice"),
        (date(2026, 9, 30), b, "500.00", "invoice"),
        (date(2026, 8, 1), a, "200.00", "credit_note"),  # credits the first invoice
        (date(2026, 2, 1), a, "400.00", "invoice"),
        (date(2026, 5, 1), b, "300.00", "invoice"),
        (date(2025, 8, 1), a, "1000.00", "invoice"),
        (date(2025, 3, 1), a, "300.00", "invoice"),
        (date(2026, 10, 1), a, "9999.00", "invoice"),
        (date(2025, 12, 1), a, "8888.00", "invoice"),
    ]
    for number, (day, category, amount, doc_type) in enumerate(lines):
        SalesLineFactory(
            partner=partner, date=day, category=category, net_amount=Decimal(amount),
            doc_type=doc_type, doc_number=f"R-{number}",
            credited_doc_number="R-0" if doc_type == "credit_note" else "",
        )  # fmt: skip
    set_target(partner, year=2026, amount=Decimal("4800.00"), set_by=None)
    return partner


def test_the_review_figures_against_a_hand_computed_data_set(sold):
    figures = services.quarter_review_figures(sold.pk, Quarter(2026, 3))
    assert figures == {
        "quarter": "2026Q3",
        "net_sales": "1300.00",
        "net_sales_year_before": "1000.00",
        "growth_percent": "30.0",
        "target": "1200.00",
        "achievement_percent": "108.3",
        "ytd_net_sales": "2000.00",
        "ytd_net_sales_year_before": "1300.00",
        "ytd_growth_percent": "53.8",
        "ytd_target": "3600.00",
        "ytd_achievement_percent": "55.6",
        "by_category": [
            {"name": "空调", "net_sales": "800.00", "share_percent": "61.5"},
            {"name": "冰箱", "net_sales": "500.00", "share_percent": "38.5"},
        ],
    }


def test_growth_is_undefined_without_sales_a_year_earlier(partner):
    SalesLineFactory(partner=partner, date=date(2026, 8, 1), net_amount=Decimal("10.00"))
    figures = services.quarter_review_figures(partner.pk, Quarter(2026, 3))
    assert (figures["growth_percent"], figures["target"], figures["achievement_percent"]) == (
        None,
        None,
        None,
    )


def test_closing_freezes_the_figures_and_later_corrections_show_beside_them(sold, now):
    review = rate(held_review(sold, quarter=Quarter(2026, 3), held_on=date(2026, 9, 28)))
    closed = services.close_review(review, closed_by=sold.owner)
    assert closed.figures["net_sales"] == "1300.00"
    SalesLineFactory(
        partner=sold, date=date(2026, 9, 1), category=CategoryFactory(), doc_type="credit_note",
        net_amount=Decimal("100.00"), credited_doc_number="R-0",
    )  # fmt: skip
    closed.refresh_from_db()
    assert closed.figures["net_sales"] == "1300.00"
    changes = services.figure_changes(closed)
    assert changes["net_sales"] == "1200.00"
    assert changes["ytd_net_sales"] == "1900.00"
    assert "target" not in changes


def test_closing_needs_a_complete_scorecard(partner, now):
    review = held_review(partner)
    services.record_review(review, recorded_by=None, scores={"sales": 4, "service": 3})
    with pytest.raises(ValidationError, match="市场反馈|Market feedback"):
        services.close_review(review, closed_by=None)
    assert BusinessReview.objects.get(pk=review.pk).status == ReviewStatus.HELD


def test_the_overall_score_is_weighted_and_rounded_half_up(partner, now):
    review = rate(held_review(partner), sales=4, service=3, market=5, satisfaction=2)
    # default weights 40/20/20/20: (160 + 60 + 100 + 40) / 100 = 3.60
    assert review.overall_score == Decimal("3.60")
    services.update_weights(changed_by=None, sales=1, service=1, market=1, satisfaction=0)
    review = services.record_review(review, recorded_by=None, scores={"service": 4})
    assert review.overall_score == Decimal("4.33")  # 13 / 3 = 4.333…
    assert services.overall_score(
        {"sales": 1, "service": 2, "market": 2, "satisfaction": 2},
        {"sales": 1, "service": 1, "market": 1, "satisfaction": 5},
    ) == Decimal("1.88")  # 15 / 8 = 1.875 → 1.88 (half-up, not banker's)
    closed = services.close_review(review, closed_by=None)
    assert closed.weights == {"sales": 1, "service": 1, "market": 1, "satisfaction": 0}
    services.update_weights(changed_by=None, sales=10, service=0, market=0, satisfaction=0)
    closed.refresh_from_db()
    assert closed.overall_score == Decimal("4.33")


def test_weights_cannot_all_be_zero(db):
    with pytest.raises(ValidationError):
        services.update_weights(changed_by=None, sales=0, service=0, market=0, satisfaction=0)


def test_the_workflow_and_its_timeline(partner, now):
    contact = partner.contacts.get()
    review = services.plan_review(partner, quarter=Q4, planned_by=partner.owner)
    with pytest.raises(ValidationError):
        services.record_review(review, recorded_by=None, scores={"sales": 3})  # not held yet
    with pytest.raises(ValidationError):
        services.close_review(review, closed_by=None)
    with pytest.raises(ValidationError):
        services.schedule_review(
            review, scheduled_by=None, scheduled_at=at(date(2026, 11, 1)), format="online"
        )
    services.schedule_review(
        review, scheduled_by=partner.owner, scheduled_at=at(date(2026, 11, 25), 14),
        format="on_site", agenda="回顾Q4", contacts=[contact],
    )  # fmt: skip
    with pytest.raises(ValidationError):
        services.hold_review(review, held_by=None, held_on=date(2026, 11, 21))  # tomorrow
    services.hold_review(review, held_by=partner.owner, held_on=date(2026, 11, 20))
    with pytest.raises(ValidationError):
        services.hold_review(review, held_by=None, held_on=date(2026, 11, 20))
    with pytest.raises(ValidationError, match="原因|why"):
        services.cancel_review(review, cancelled_by=None, reason=" ")
    services.close_review(rate(review), closed_by=partner.owner)
    with pytest.raises(ValidationError):
        services.cancel_review(review, cancelled_by=None, reason="太晚了")
    kinds = list(partner.events.values_list("kind", flat=True))
    assert {
        TimelineKind.REVIEW_SCHEDULED,
        TimelineKind.REVIEW_HELD,
        TimelineKind.REVIEW_CLOSED,
    } <= set(kinds)
    review.refresh_from_db()
    assert review.history.count() >= 4  # who/when of every step
    assert review.closed_by == partner.owner
    assert review.held_by == partner.owner


def test_action_items_need_one_owner_who_sees_the_partner(partner, outsider, specialist, now):
    review = held_review(partner)
    contact = partner.contacts.get()
    with pytest.raises(ValidationError):
        services.add_action(review, created_by=None, title="x", due_on=date(2026, 12, 1))
    with pytest.raises(ValidationError):
        services.add_action(
            review, created_by=None, title="x", due_on=date(2026, 12, 1), owner_user=outsider
        )
    with pytest.raises(ValidationError):
        services.add_action(
            review, created_by=None, title="x", due_on=date(2026, 12, 1),
            owner_contact=ContactFactory(),
        )  # fmt: skip
    mine = services.add_action(
        review, created_by=None, title="培训销售", due_on=date(2026, 12, 1), owner_user=specialist
    )
    theirs = services.add_action(
        review, created_by=None, title="提交库存表", due_on=date(2026, 12, 1), owner_contact=contact
    )
    services.complete_action(mine, completed_by=specialist)
    with pytest.raises(ValidationError):
        services.complete_action(mine, completed_by=specialist)
    with pytest.raises(ValidationError):
        services.cancel_action(theirs, cancelled_by=None, note="")
    cancelled = services.cancel_action(theirs, cancelled_by=None, note="不再需要")
    assert cancelled.status == ActionStatus.CANCELLED
    mine.refresh_from_db()
    assert (mine.status, mine.completed_on) == (ActionStatus.DONE, date(2026, 11, 20))
    assert partner.events.filter(kind=TimelineKind.REVIEW_ACTION_CLOSED).count() == 2


def test_terminating_a_partner_cancels_its_planned_review_and_a_new_owner_takes_it(
    partner, colleague, vp, now
):
    review = services.plan_review(partner, quarter=Q4, planned_by=None)
    partner.refresh_from_db()
    update_partner(partner, changed_by=vp, owner=colleague)
    review.refresh_from_db()
    assert review.manager == colleague
    partner.refresh_from_db()
    terminate_partner(partner, terminated_by=vp, terminated_on=date(2026, 11, 20), reason="other")
    review.refresh_from_db()
    assert review.status == ReviewStatus.CANCELLED
    assert review.cancel_reason


def test_review_completion_per_manager_team_and_tier(manager, colleague, now):
    on_time = PartnerFactory(owner=manager, tier=Tier.CORE)
    late = PartnerFactory(owner=manager, tier=Tier.REGULAR)
    not_held = PartnerFactory(owner=colleague, tier=Tier.CORE)
    cancelled = PartnerFactory(owner=colleague, tier=Tier.CORE)
    q3 = Quarter(2026, 3)
    held_review(on_time, quarter=q3, held_on=date(2026, 9, 30))
    held_review(late, quarter=q3, held_on=date(2026, 10, 1))
    services.plan_review(not_held, quarter=q3, planned_by=None)
    services.cancel_review(
        services.plan_review(cancelled, quarter=q3, planned_by=None), cancelled_by=None,
        reason="渠道合并",
    )  # fmt: skip
    completion = review_completion(q3)
    assert (completion.total.due, completion.total.on_time) == (3, 1)
    assert completion.total.percent == Decimal("33.3")
    assert completion.managers[manager.pk].percent == Decimal("50.0")
    assert completion.managers[colleague.pk].percent == Decimal("0.0")
    assert completion.tiers["core"].percent == Decimal("50.0")
    assert completion.tiers["regular"].percent == Decimal("0.0")
    team = Team.objects.create(name="华南")
    team.members.set([manager, colleague, UserFactory()])
    assert completion.teams({team.pk: [manager.pk, colleague.pk]})[team.pk].on_time == 1
    assert review_completion(Quarter(2026, 2)).total.percent is None  # nothing due: "—"


def test_planning_again_does_not_undo_a_cancellation(partner, now):
    review = services.plan_review(partner, quarter=Q4, planned_by=None)
    services.cancel_review(review, cancelled_by=partner.owner, reason="并入年度会议")
    assert services.plan_quarter(Q4) == 0
    assert BusinessReview.objects.filter(partner=partner).count() == 1


def test_a_plan_made_before_the_quarter_does_not_stop_beat(tiers):
    with time_machine.travel("2026-09-20 10:00 +08:00"):
        services.plan_quarter(Q4)  # early, by hand
    late = PartnerFactory(owner=tiers[Tier.CORE].owner, tier=Tier.CORE)
    assert services.ensure_quarter_plan(date(2026, 10, 1)) == 1
    assert BusinessReview.objects.filter(partner=late, year=2026, quarter=4).exists()


def test_a_review_is_held_within_or_after_its_quarter(partner, now):
    review = services.plan_review(partner, quarter=Q4, planned_by=None)
    with pytest.raises(ValidationError, match="2026-10-01"):
        services.hold_review(review, held_by=None, held_on=date(2026, 9, 30))


def test_attendees_must_see_the_partner(partner, outsider, vp, now):
    review = services.plan_review(partner, quarter=Q4, planned_by=None)
    with pytest.raises(ValidationError):
        services.schedule_review(
            review, scheduled_by=None, scheduled_at=at(date(2026, 12, 1)), format="online",
            staff=[outsider],
        )  # fmt: skip
    services.schedule_review(
        review, scheduled_by=None, scheduled_at=at(date(2026, 12, 1)), format="online",
        staff=[partner.owner, vp],
    )  # fmt: skip


def test_termination_cancels_with_history_and_on_the_timeline(partner, vp, now):
    review = services.plan_review(partner, quarter=Q4, planned_by=None)
    terminate_partner(partner, terminated_by=vp, terminated_on=date(2026, 11, 20), reason="other")
    review.refresh_from_db()
    assert review.cancel_reason == "该渠道商已终止合作。"  # the company language, whoever asked
    assert review.history.filter(status="cancelled").exists()
    assert partner.events.filter(kind=TimelineKind.REVIEW_CANCELLED).exists()
