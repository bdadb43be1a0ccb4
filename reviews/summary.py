"""What the partner page and a review show of a partner's reviews: the current one, the
open and overdue action items, and the evaluation history (the last 8 scorecards)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from channelhub.lib.periods import Quarter
from partners.models import Partner

from .choices import Dimension, ReviewStatus
from .models import BusinessReview, ReviewAction

TREND_REVIEWS = 8


def carried_over_actions(review: BusinessReview) -> QuerySet[ReviewAction]:
    """The partner's action items still open from its other reviews (the overdue ones are
    flagged in the page)."""
    earlier = Q(review__year__lt=review.year) | Q(
        review__year=review.year, review__quarter__lt=review.quarter
    )
    return (
        ReviewAction.objects.open()
        .filter(earlier, partner_id=review.partner_id)
        .select_related("owner_user", "owner_contact", "review")
    )


def partner_reviews(partner: Partner, *, today: date) -> dict[str, Any]:
    """Three queries: the recent reviews, the open action items, the scorecard trend."""
    recent = list(
        BusinessReview.objects.filter(partner=partner)
        .select_related("manager")
        .order_by("-year", "-quarter", "-id")[:6]
    )
    quarter = Quarter.of(today)
    current = next(
        (
            review
            for review in recent
            if review.period == quarter and review.status != ReviewStatus.CANCELLED
        ),
        None,
    )
    open_actions = list(
        ReviewAction.objects.open()
        .filter(partner=partner)
        .select_related("owner_user", "owner_contact")
    )
    trend = list(
        BusinessReview.objects.closed()
        .filter(partner=partner)
        .order_by("-year", "-quarter", "-id")[:TREND_REVIEWS]
    )[::-1]
    return {
        "recent_reviews": recent,
        "current_review": current,
        "this_quarter": quarter,
        "open_actions": open_actions,
        "overdue_actions": [action for action in open_actions if action.is_overdue],
        "trend": trend,
        "trend_chart": trend_chart_data(trend),
    }


def trend_chart_data(reviews: list[BusinessReview]) -> dict[str, Any]:
    """What the ECharts script draws; the table beside it has the same figures."""
    return {
        "quarters": [str(review.period) for review in reviews],
        "series": [
            {"name": _("Overall score"), "data": [str(r.overall_score) for r in reviews]},
            *(
                {"name": str(label), "data": [r.scores[key] for r in reviews]}
                for key, label in Dimension.choices
            ),
        ],
    }


def my_reviews(
    user: Any, *, quarter: Quarter, team_members: dict[int, list[int]]
) -> dict[str, Any]:
    """For "My tasks": the reviews I am to hold (not held yet, this quarter or overdue), my
    open action items, and my review completion this quarter against my teams' (or
    everyone's)."""
    from .kpis import review_completion

    reviews = BusinessReview.objects.visible_to(user).filter(manager=user)
    completion = review_completion(quarter)
    members = sorted({member for people in team_members.values() for member in people})
    return {
        "reviews_to_hold": reviews.filter(status=ReviewStatus.PLANNED, due_on__lte=quarter.end)
        .select_related("partner")
        .order_by(F("scheduled_at").asc(nulls_last=True), "due_on", "pk")[:50],
        "my_actions": ReviewAction.objects.visible_to(user)
        .open()  # mine, and the partner side's of the reviews I hold (I follow them up)
        .filter(Q(owner_user=user) | Q(owner_user__isnull=True, review__manager=user))
        .select_related("partner", "review", "owner_contact")[:100],
        "my_review_kpi": completion.managers.get(user.pk),
        "team_review_kpi": completion.teams({0: members})[0] if members else completion.total,
    }
