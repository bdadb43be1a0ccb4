"""The review pages: list and filters, one review through its steps, the partner page's
reviews and evaluation history, My tasks, completion, weights; access and query counts."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from channelhub.lib.periods import Quarter
from partners.choices import Tier
from reviews import services
from reviews.models import BusinessReview, ScorecardWeights
from tests.factories import PartnerFactory

from .conftest import Q4, held_review, rate


def step(review, name):
    return reverse("reviews:review_step", args=[review.pk, name])


def test_a_manager_lists_only_their_reviews_and_filters_them(
    as_user, manager, partner, outsider, now
):
    services.plan_quarter(Q4)
    other = BusinessReview.objects.get(partner__owner=outsider)
    core = PartnerFactory(owner=manager, tier=Tier.CORE, legal_name="核心一号")
    closed = services.close_review(rate(held_review(core)), closed_by=manager)
    client = as_user(manager)
    page = client.get(reverse("reviews:review_list")).content.decode()
    assert partner.legal_name in page
    assert "核心一号" in page
    assert other.partner.legal_name not in page
    filtered = client.get(reverse("reviews:review_list"), {"status": "closed"}).content.decode()
    assert "核心一号" in filtered
    assert partner.legal_name not in filtered
    by_score = client.get(reverse("reviews:review_list"), {"score_min": "3.7"}).content.decode()
    assert "核心一号" not in by_score  # 3.60
    assert closed.overall_score == Decimal("3.60")
    by_tier = client.get(reverse("reviews:review_list"), {"tier": "core"}).content.decode()
    assert "核心一号" in by_tier
    assert partner.legal_name not in by_tier
    other_quarter = client.get(reverse("reviews:review_list"), {"period": "2026Q3"})
    assert "核心一号" not in other_quarter.content.decode()
    assert client.get(reverse("reviews:review_list"), {"period": "2026Q9"}).status_code == 200


def test_a_vp_plans_the_quarter_on_demand_a_manager_cannot(as_user, vp, manager, partner, now):
    assert (
        as_user(manager).post(reverse("reviews:plan_quarter"), {"quarter": "2026Q4"}).status_code
        == 403
    )
    response = as_user(vp).post(reverse("reviews:plan_quarter"), {"quarter": "2026Q4"})
    assert response.status_code == 302
    assert BusinessReview.objects.filter(partner=partner, year=2026, quarter=4).exists()


def test_a_manager_plans_schedules_holds_scores_and_closes_a_review(as_user, manager, partner, now):
    client = as_user(manager)
    contact = partner.contacts.get()
    response = client.post(
        reverse("reviews:partner_review_create", args=[partner.pk]), {"quarter": "2026Q4"}
    )
    review = BusinessReview.objects.get(partner=partner)
    assert response["Location"] == review.get_absolute_url()
    bad = client.post(
        step(review, "schedule"), {"scheduled_at": "2026-11-01T10:00", "format": "online"}
    )
    assert bad.status_code == 400
    assert "今天" in bad.content.decode()
    client.post(step(review, "schedule"), {
        "scheduled_at": "2026-11-25T14:30", "format": "on_site", "agenda": "Q4目标回顾",
        "staff": [manager.pk], "contacts": [contact.pk],
    })  # fmt: skip
    review.refresh_from_db()
    assert review.scheduled_at is not None
    assert review.format == "on_site"
    client.post(step(review, "hold"), {"held_on": "2026-11-20"})
    client.post(step(review, "record"), {
        "notes": "会议纪要", "partner_requests": "希望增加样机", "sales_score": "4",
        "service_score": "3", "market_score": "5",
    })  # fmt: skip
    refused = client.post(step(review, "close"))
    assert refused.status_code == 302
    review.refresh_from_db()
    assert review.status == "held"
    assert review.overall_score is None
    client.post(reverse("reviews:action_create", args=[review.pk]), {
        "title": "提交促销方案", "owner": f"contact:{contact.pk}", "due_on": "2026-12-05",
    })  # fmt: skip
    client.post(step(review, "record"), {
        "notes": "会议纪要", "partner_requests": "希望增加样机", "sales_score": "4",
        "service_score": "3", "market_score": "5", "satisfaction_score": "2",
    })  # fmt: skip
    client.post(step(review, "close"))
    review.refresh_from_db()
    assert (review.status, review.overall_score, review.partner_requests) == (
        "closed", Decimal("3.60"), "希望增加样机"
    )  # fmt: skip
    assert review.actions.get().owner_contact == contact
    page = client.get(review.get_absolute_url()).content.decode()
    assert "提交促销方案" in page
    assert "关闭时已冻结" in page
    assert client.post(step(review, "record"), {"notes": "改"}).status_code == 400


def test_an_invalid_action_item_shows_the_form_again(as_user, manager, partner, now):
    review = held_review(partner)
    response = as_user(manager).post(
        reverse("reviews:action_create", args=[review.pk]),
        {"title": "", "owner": "user:999999", "due_on": "bad"},
    )
    assert response.status_code == 400
    assert review.actions.count() == 0


def test_support_reads_a_review_but_cannot_change_it(as_user, support, partner, now):
    review = held_review(partner)
    client = as_user(support)
    assert client.get(review.get_absolute_url()).status_code == 200
    assert client.post(step(review, "cancel"), {"reason": "x"}).status_code == 403
    assert client.post(reverse("reviews:action_create", args=[review.pk])).status_code == 403


def test_the_partner_page_flags_overdue_items_and_shows_the_evaluation_history(
    as_user, manager, partner, now
):
    for number, score in enumerate([5, 4, 3, 2, 1, 2, 3, 4, 5], start=0):
        quarter = Quarter(2024, 1) + number
        review = held_review(partner, quarter=quarter, held_on=min(quarter.end, date(2026, 11, 20)))
        if number == 8:
            services.add_action(
                review, created_by=None, title="更新门店形象", due_on=date(2026, 11, 1),
                owner_user=manager,
            )  # fmt: skip
        services.close_review(rate(review, sales=score), closed_by=manager)
    page = as_user(manager).get(partner.get_absolute_url()).content.decode()
    assert 'id="overdue-actions"' in page
    assert "更新门店形象" in page
    trend = page.split('id="review-trend"')[1].split("</table>")[0]
    assert trend.count("<tr>") == 9  # header + the last 8 reviews
    assert "2024Q1" not in trend
    assert "2026Q1" in trend
    assert 'id="review-trend-data"' in page


def test_the_next_review_shows_items_still_open_from_earlier_ones(as_user, manager, partner, now):
    earlier = held_review(partner, quarter=Quarter(2026, 3), held_on=date(2026, 9, 20))
    services.add_action(
        earlier, created_by=None, title="补发物料", due_on=date(2026, 10, 10), owner_user=manager
    )
    review = services.plan_review(partner, quarter=Q4, planned_by=None)
    page = as_user(manager).get(review.get_absolute_url()).content.decode()
    carried = page.split('id="carried-over"')[1].split("</table>")[0]
    assert "补发物料" in carried
    assert "table-danger" in carried


def test_my_tasks_lists_reviews_to_hold_and_my_action_items(as_user, manager, partner, now):
    review = services.plan_review(partner, quarter=Q4, planned_by=None)
    earlier = held_review(
        PartnerFactory(owner=manager), quarter=Quarter(2026, 3), held_on=date(2026, 9, 1)
    )
    services.add_action(
        earlier, created_by=None, title="寄送样品", due_on=date(2026, 12, 1), owner_user=manager
    )
    page = as_user(manager).get(reverse("maintenance:my_tasks")).content.decode()
    to_hold = page.split('id="reviews-to-hold"')[1].split("</table>")[0]
    assert review.get_absolute_url() in to_hold
    assert "寄送样品" in page.split('id="my-review-actions"')[1]
    assert 'id="review-completion"' in page


def test_the_completion_page(as_user, vp, manager, partner, now):
    held_review(partner, held_on=date(2026, 11, 2))
    services.plan_review(PartnerFactory(owner=manager), quarter=Q4, planned_by=None)
    page = as_user(vp).get(reverse("reviews:completion"), {"period": "2026Q4"}).content.decode()
    managers = page.split('id="completion-managers"')[1].split("</table>")[0]
    assert "50.0 %" in managers
    total = page.split('id="completion-total"')[1].split("</table>")[0]
    assert "50.0 %" in total


def test_weights_are_edited_by_a_vp_only(as_user, vp, manager):
    assert as_user(manager).get(reverse("reviews:weights")).status_code == 200
    data = {"sales": 50, "service": 20, "market": 10, "satisfaction": 20}
    assert as_user(manager).post(reverse("reviews:weights"), data).status_code == 403
    assert (
        as_user(vp)
        .post(
            reverse("reviews:weights"),
            {**data, "sales": 0, "service": 0, "market": 0, "satisfaction": 0},
        )
        .status_code
        == 400
    )
    assert as_user(vp).post(reverse("reviews:weights"), data).status_code == 302
    assert ScorecardWeights.objects.get().as_dict() == data


def test_query_counts_do_not_grow_with_reviews(
    as_user, manager, now, django_assert_max_num_queries
):
    for _ in range(15):
        review = held_review(PartnerFactory(owner=manager))
        services.add_action(
            review, created_by=None, title="a", due_on=date(2026, 12, 1), owner_user=manager
        )
    client = as_user(manager)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("reviews:review_list")).status_code == 200
    with django_assert_max_num_queries(24):
        assert client.get(review.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("reviews:completion")).status_code == 200


@pytest.mark.parametrize("name", ["reviews:review_list", "reviews:completion", "reviews:weights"])
def test_partner_users_have_no_review_pages(as_user, partner_user, name):
    assert as_user(partner_user).get(reverse(name)).status_code == 403


def test_my_tasks_lists_the_partner_side_items_of_my_reviews(as_user, manager, partner, now):
    review = held_review(partner)
    services.add_action(
        review, created_by=None, title="渠道商提交库存表", due_on=date(2026, 12, 1),
        owner_contact=partner.contacts.get(),
    )  # fmt: skip
    page = as_user(manager).get(reverse("maintenance:my_tasks")).content.decode()
    assert "渠道商提交库存表" in page.split('id="my-review-actions"')[1]


def test_items_of_later_reviews_are_not_carried_into_an_earlier_one(as_user, manager, partner, now):
    earlier = services.plan_review(partner, quarter=Quarter(2026, 3), planned_by=None)
    later = held_review(partner)
    services.add_action(
        later, created_by=None, title="后来的事", due_on=date(2026, 12, 1), owner_user=manager
    )
    page = as_user(manager).get(earlier.get_absolute_url()).content.decode()
    assert 'id="carried-over"' not in page


def test_a_service_error_on_a_field_the_form_lacks_shows_above_the_form():
    from django.core.exceptions import ValidationError

    from reviews.forms import CancelForm
    from reviews.views import add_service_error

    form = CancelForm({"reason": "x"})
    assert form.is_valid()
    add_service_error(form, ValidationError({"cancel_reason": "说明原因"}))
    assert form.non_field_errors() == ["说明原因"]
