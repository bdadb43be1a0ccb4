"""Deterministic demo reviews: the current quarter's plan for every demo partner, and for
the first DEMO_PARTNERS of them a closed review in each of the last four quarters (real
frozen figures, varied scorecards) with an action item or two, some still open."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction

from channelhub.lib.periods import Quarter
from partners.choices import PartnerStatus
from partners.models import Partner
from sales.performance import quarter_review_figures

from .choices import ActionStatus, Dimension, ReviewFormat, ReviewStatus
from .models import BusinessReview, ReviewAction
from .services import current_weights, overall_score, plan_quarter

DEMO_PARTNERS = 200
HISTORY_QUARTERS = 4
ACTIONS = [
    "提交下季度促销方案",
    "补充门店陈列样机",
    "组织销售培训",
    "核对返利对账单",
    "更新库存周报",
]


@transaction.atomic
def seed_reviews(*, seed: int, today: date) -> int:
    """Returns how many closed reviews were written (none when they are already there)."""
    partners = Partner.objects.filter(code__startswith=f"D{seed}-", owner__isnull=False)
    plan_quarter(Quarter.of(today), partners=partners)
    if BusinessReview.objects.filter(partner__in=partners, status=ReviewStatus.CLOSED).exists():
        return 0
    rng = random.Random(seed * 104729)
    weights = current_weights().as_dict()
    current = Quarter.of(today)
    reviews, actions = [], []
    chosen = partners.exclude(status=PartnerStatus.TERMINATED).order_by("pk")[:DEMO_PARTNERS]
    for partner in chosen:
        level = rng.choice([2, 3, 3, 4, 4, 5])
        for back in range(HISTORY_QUARTERS, 0, -1):
            quarter = current - back
            held_on = quarter.end - timedelta(days=rng.randint(0, 40))
            scores = {
                key: max(1, min(5, level + rng.choice([-1, 0, 0, 1]))) for key in Dimension.values
            }
            review = BusinessReview(
                partner=partner, year=quarter.year, quarter=quarter.number, due_on=quarter.end,
                tier=partner.tier, manager_id=partner.owner_id, status=ReviewStatus.CLOSED,
                format=rng.choice(ReviewFormat.values), held_on=held_on,
                held_by_id=partner.owner_id, closed_by_id=partner.owner_id,
                notes="季度业务回顾：目标、服务、市场、下一步。",
                overall_score=overall_score(scores, weights), weights=weights,
                figures=quarter_review_figures(partner.pk, quarter),
                **{f"{key}_score": value for key, value in scores.items()},
            )  # fmt: skip
            reviews.append(review)
            for _ in range(rng.randint(0, 2)):
                due = held_on + timedelta(days=rng.randint(14, 60))
                done = due < today - timedelta(days=20) or rng.random() < 0.5
                actions.append((review, rng.choice(ACTIONS), due, done))
    BusinessReview.objects.bulk_create(reviews, batch_size=1000)
    ReviewAction.objects.bulk_create(
        [
            ReviewAction(
                review=review, partner_id=review.partner_id, title=title, due_on=due,
                owner_user_id=review.manager_id,
                status=ActionStatus.DONE if done and due <= today else ActionStatus.OPEN,
                completed_on=due if done and due <= today else None,
            )
            for review, title, due, done in actions
        ],
        batch_size=1000,
    )  # fmt: skip
    return len(reviews)
