"""The channel manager's day: my tasks due and overdue, my reviews coming up, my partners
at risk, my KPIs against my team's."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import reduce
from typing import Any

from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from maintenance.choices import TaskKind
from maintenance.models import MaintenanceTask
from partners.models import Partner
from reminders.models import Team
from reviews.choices import ReviewStatus
from reviews.models import BusinessReview

from .figures import Figures, portfolio_figures
from .models import PartnerPeriodSummary
from .periods import QUARTER, Period

SALES_DROP = Decimal("0.8")  # "sales down > 20 % vs last year"
LISTED = 50


def my_partners(user: Any) -> Any:
    """The partners I look after: my portfolio (owned or supported); for a user who sees
    every partner (a sales VP), those they own."""
    if user.sees_all_partners:
        return Partner.objects.visible_to(user).filter(owner=user)
    return Partner.objects.visible_to(user)


@dataclass
class AtRisk:
    partner: Partner
    reasons: list[str]  # no_sales, sales_down, contact_overdue, low_score


def at_risk_partners(user: Any, *, today: date, low_score: Decimal) -> list[AtRisk]:
    """My partners (not terminated) with at least one warning sign, in one query: no sales
    this quarter so far; sales down more than 20 % in the last full quarter against the
    same quarter a year earlier; a contact task overdue; the last closed review's score
    below `low_score`."""
    quarter = Period.of(QUARTER, today)
    last_quarter = quarter - 1

    def summary(period: Period, column: str) -> Subquery:
        return Subquery(
            PartnerPeriodSummary.objects.filter(
                partner_id=OuterRef("pk"), kind=QUARTER, start=period.start
            ).values(column)[:1]
        )

    last_score = Subquery(
        BusinessReview.objects.filter(partner_id=OuterRef("pk"), status=ReviewStatus.CLOSED)
        .order_by("-held_on", "-pk")
        .values("overall_score")[:1]
    )
    contact_overdue = Exists(
        MaintenanceTask.objects.overdue(today).filter(
            partner_id=OuterRef("pk"), kind=TaskKind.CONTACT
        )
    )
    partners = (
        my_partners(user)
        .not_terminated()
        .annotate(
            quarter_sales=Coalesce(summary(quarter, "net_sales"), Decimal(0)),
            last_quarter_sales=Coalesce(summary(last_quarter, "net_sales"), Decimal(0)),
            last_quarter_before=Coalesce(
                summary(last_quarter, "net_sales_year_before"), Decimal(0)
            ),
            contact_overdue=contact_overdue,
            last_score=last_score,
        )
    )
    signs = {  # each written once: the filter and the reasons shown
        "no_sales": Q(quarter_sales__lte=0),
        "sales_down": Q(
            last_quarter_before__gt=0,
            last_quarter_sales__lt=F("last_quarter_before") * SALES_DROP,
        ),
        "contact_overdue": Q(contact_overdue=True),
        "low_score": Q(last_score__lt=low_score),
    }
    flagged = (
        partners.annotate(
            **{
                f"sign_{name}": ExpressionWrapper(condition, output_field=BooleanField())
                for name, condition in signs.items()
            }
        )
        .filter(reduce(operator.or_, signs.values()))
        .order_by("legal_name", "pk")
    )
    return [
        AtRisk(partner, [name for name in signs if getattr(partner, f"sign_{name}")])
        for partner in flagged[:LISTED]  # the first LISTED by name
    ]


@dataclass
class MyKpis:
    mine: Figures
    team: Figures
    team_label: str


def my_kpis(user: Any, *, today: date) -> MyKpis:
    """Timeliness and review completion this quarter of my portfolio against my teams'
    (everyone's when I am in no team)."""
    from django.utils.translation import gettext as _

    quarter = Period.of(QUARTER, today)
    members = sorted(
        set(
            Team.members.through.objects.filter(team__members=user).values_list(
                "user_id", flat=True
            )
        )
    )
    return MyKpis(
        mine=portfolio_figures(quarter, None, partners=my_partners(user)),
        team=portfolio_figures(quarter, members or None),
        team_label=_("My team") if members else _("Everyone"),
    )


def my_day(user: Any, *, today: date, low_score: Decimal) -> dict[str, Any]:
    week_end = today + timedelta(days=6 - today.weekday())
    tasks = (
        MaintenanceTask.objects.visible_to(user)
        .open()
        .filter(assignee=user, due_on__lte=week_end)
        .select_related("partner")
        .order_by("due_on", "pk")
    )
    overdue = list(tasks.filter(due_on__lt=today)[:LISTED])
    this_week = list(tasks.filter(due_on__gte=today)[:LISTED])
    quarter = Period.of(QUARTER, today)
    reviews = (
        BusinessReview.objects.visible_to(user)
        .filter(manager=user, status=ReviewStatus.PLANNED, due_on__lte=quarter.end)
        .select_related("partner")
        .order_by(F("scheduled_at").asc(nulls_last=True), "due_on", "pk")[:LISTED]
    )
    return {
        "today": today,
        "week_end": week_end,
        "overdue_tasks": overdue,
        "week_tasks": this_week,
        "reviews": list(reviews),
        "at_risk": at_risk_partners(user, today=today, low_score=low_score),
        "kpis": my_kpis(user, today=today),
        "quarter": quarter,
    }
