"""A seeded, generated channel for comparing the dashboards' summaries with the raw lines:
some three dozen partners over 2022–2026 with the cases that make period figures hard —
cooperation starting and ending inside periods and on their first and last days, several
tier changes (on period boundaries, two on one day, an initial one without a `from_tier`),
credit notes crossing month, quarter and year ends (some after the partner left), annual
targets with uneven quarters (and category targets, which the dashboards ignore), tasks and
reviews in every state, and interactions a few minutes either side of midnight at a month's
end in Shanghai. A handful of partners are written out (`edge_partners`); the rest are drawn
from `random.Random(seed)`, so a failure is reproduced by its seed."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from accounts.models import User
from channelhub.lib.money import quantize
from maintenance.choices import TaskKind, TaskStatus
from maintenance.models import Interaction, MaintenanceTask
from partners.choices import PartnerStatus, PartnerType, Province, TerminationReason, Tier
from partners.models import Partner, TierChange
from reviews.choices import ReviewStatus
from reviews.models import BusinessReview
from sales.models import Category, SalesLine, SalesTarget
from tests.factories import CategoryFactory, PartnerFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
SOURCE = "erp"
TODAY = date(2026, 11, 29)
FIRST_SALE = date(2022, 10, 1)  # before the first covered year's year-earlier figures
LAST_DUE = date(2026, 12, 31)  # tasks and reviews are planned to the end of the year
PROVINCES = [Province.GUANGDONG, Province.BEIJING, Province.SHANGHAI, Province.ZHEJIANG]
TYPES = [PartnerType.DISTRIBUTOR, PartnerType.RESELLER, PartnerType.AGENT, PartnerType.RETAILER]
TIERS = [Tier.CORE, Tier.REGULAR, Tier.POTENTIAL]


@dataclass
class PartnerPlan:
    """What a partner is made of before it is written."""

    name: str
    started: date
    terminated_on: date | None = None
    tier_changes: list[tuple[date, str, str]] = field(default_factory=list)  # (day, from, to)
    initial_tier: str = Tier.REGULAR
    owner: User | None = None
    province: str = Province.GUANGDONG
    partner_type: str = PartnerType.DISTRIBUTOR
    sales_months: float = 0.7  # the share of months with invoices
    scale: int = 5000  # a typical invoice, CNY
    targets: float = 0.75  # the chance of an annual target for each year it was in

    @property
    def tier(self) -> str:
        return self.tier_changes[-1][2] if self.tier_changes else self.initial_tier


@dataclass
class Channel:
    partners: list[Partner]
    owners: list[User]
    category: Category
    invoices: dict[int, list[SalesLine]]  # partner id → its invoice lines

    def by_name(self, name: str) -> Partner:
        return next(partner for partner in self.partners if partner.legal_name == name)


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max((last - first).days, 0)))


def _month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _months(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = _month_end(month) + timedelta(days=1)
    return months


def _quarter_end(year: int, quarter: int) -> date:
    return _month_end(date(year, 3 * quarter, 1))


def edge_partners(owners: list[User | None]) -> list[PartnerPlan]:
    """The cases written out (the random partners may or may not draw them)."""
    manager, colleague, third = owners[:3]
    return [
        # Left before 2025Q2 after selling in 2024Q2–Q4, with a target every year it was in.
        PartnerPlan("Left early, sold a year before", date(2019, 5, 1), date(2025, 2, 14),
                    owner=manager, scale=9000, sales_months=1.0, targets=1.0),
        # Left on a quarter's last day / started on a quarter's first day.
        PartnerPlan("Left on 2025-12-31", date(2021, 3, 1), date(2025, 12, 31), owner=colleague,
                    tier_changes=[(date(2025, 9, 30), Tier.REGULAR, Tier.CORE)]),
        PartnerPlan("Left on 2026-01-01", date(2022, 3, 1), date(2026, 1, 1), owner=third,
                    province=Province.BEIJING),
        PartnerPlan("Started on 2025-07-01", date(2025, 7, 1), owner=manager,
                    initial_tier=Tier.POTENTIAL,
                    tier_changes=[(date(2026, 1, 1), Tier.POTENTIAL, Tier.REGULAR)]),
        # Two changes on one day that cancel out, then a real one in the same quarter.
        PartnerPlan("Corrected the same day", date(2020, 1, 1), owner=colleague,
                    province=Province.SHANGHAI, partner_type=PartnerType.AGENT,
                    tier_changes=[(date(2025, 5, 10), Tier.REGULAR, Tier.CORE),
                                  (date(2025, 5, 10), Tier.CORE, Tier.REGULAR),
                                  (date(2025, 6, 20), Tier.REGULAR, Tier.POTENTIAL)]),
        # The first tier change has no from_tier (the tier was first set then).
        PartnerPlan("Tier first set", date(2024, 3, 15), owner=third,
                    tier_changes=[(date(2024, 3, 15), "", Tier.POTENTIAL),
                                  (date(2025, 11, 16), Tier.POTENTIAL, Tier.CORE)]),
        # Promoted and demoted back inside one quarter: no movement over the quarter.
        PartnerPlan("Up and down in 2026Q2", date(2018, 1, 1), owner=manager,
                    province=Province.ZHEJIANG, scale=40000,
                    tier_changes=[(date(2026, 4, 12), Tier.REGULAR, Tier.CORE),
                                  (date(2026, 6, 3), Tier.CORE, Tier.REGULAR)]),
        PartnerPlan("Started today", TODAY, owner=colleague,
                    initial_tier=Tier.POTENTIAL, targets=0.0),
        PartnerPlan("Left today", date(2020, 6, 1), TODAY, owner=None,
                    partner_type=PartnerType.RESELLER),
        # Sells in bursts: many months with credit notes only.
        PartnerPlan("Sparse with returns", date(2021, 1, 1), owner=third, sales_months=0.25,
                    scale=20000, partner_type=PartnerType.RETAILER),
    ]  # fmt: skip


def random_partners(rng: random.Random, count: int, owners: list[User | None]) -> list[PartnerPlan]:
    plans = []
    for number in range(count):
        if rng.random() < 0.45:
            started = _day_between(rng, date(2015, 1, 1), date(2022, 12, 31))
        else:
            started = _day_between(rng, date(2023, 1, 1), date(2026, 10, 31))
            if rng.random() < 0.2:
                started = started.replace(day=1)  # on a period's first day
        terminated_on = None
        if rng.random() < 0.3 and started < date(2026, 10, 1):
            terminated_on = _day_between(rng, max(started + timedelta(days=40), date(2023, 3, 1)),
                                         TODAY)  # fmt: skip
            if rng.random() < 0.3:
                terminated_on = _month_end(terminated_on)
        plan = PartnerPlan(
            f"Partner {number:02d}",
            started,
            terminated_on,
            initial_tier=rng.choice(TIERS),
            owner=rng.choice(owners),
            province=rng.choice(PROVINCES),
            partner_type=rng.choice(TYPES),
            sales_months=rng.uniform(0.2, 0.95),
            scale=rng.choice([300, 1500, 8000, 40000]),
            targets=0.75 if rng.random() < 0.65 else 0.0,
        )
        tier, last = plan.initial_tier, min(terminated_on or TODAY, TODAY)
        days = sorted(
            _day_between(rng, started, last) for _ in range(rng.choice([0, 0, 1, 1, 2, 3]))
        )
        for day in days:
            to_tier = rng.choice([t for t in TIERS if t != tier])
            plan.tier_changes.append((day, tier, to_tier))
            tier = to_tier
        plans.append(plan)
    return plans


def generate_channel(seed: int, *, owners: list[User], fallback_owner: User) -> Channel:
    """Write the channel; `owners` own partners (some have none), `fallback_owner` holds the
    tasks and reviews of partners without an owner."""
    rng = random.Random(seed)
    category = CategoryFactory(code="ALL")
    CategoryFactory(code="OTHER")  # a category target's category
    choices: list[User | None] = [*owners, None]
    plans = edge_partners(choices) + random_partners(rng, 26, choices)
    partners, invoices = [], {}
    lines: list[SalesLine] = []
    for plan in plans:
        partner = _partner(plan)
        partners.append(partner)
        invoices[partner.pk] = _sales(rng, plan, partner, category, lines)
        _targets(rng, plan, partner)
        _tasks(rng, plan, partner, partner.owner or fallback_owner)
        _reviews(rng, plan, partner, partner.owner or fallback_owner)
        _interactions(rng, plan, partner)
    SalesLine.objects.bulk_create(lines)
    return Channel(partners, owners, category, invoices)


def _partner(plan: PartnerPlan) -> Partner:
    termination = {}
    if plan.terminated_on:
        termination = {
            "status": PartnerStatus.TERMINATED,
            "terminated_on": plan.terminated_on,
            "termination_reason": TerminationReason.PERFORMANCE,
        }
    partner = PartnerFactory(
        legal_name=plan.name,
        cooperation_start_date=plan.started,
        tier=plan.tier,
        owner=plan.owner,
        province=plan.province,
        partner_type=plan.partner_type,
        **termination,
    )
    for day, from_tier, to_tier in plan.tier_changes:  # in order: created_at breaks ties
        TierChange.objects.create(
            partner=partner, from_tier=from_tier, to_tier=to_tier, effective_on=day, reason="scores"
        )
    return partner


def _sales(
    rng: random.Random,
    plan: PartnerPlan,
    partner: Partner,
    category: Category,
    lines: list[SalesLine],
) -> list[SalesLine]:
    """Invoices in some months from the start to the end of the cooperation; a credit note
    for one in eight, up to 75 days later (so sometimes after the partner left)."""
    last = min(plan.terminated_on or TODAY, TODAY)
    own: list[SalesLine] = []
    for month in _months(max(plan.started, FIRST_SALE), last):
        if rng.random() >= plan.sales_months:
            continue
        for _ in range(rng.randint(1, 3)):
            day = _day_between(rng, max(month, plan.started), min(_month_end(month), last))
            amount = Decimal(rng.randint(plan.scale * 25, plan.scale * 200)) / 100
            own.append(_line(partner, category, f"INV-{partner.pk}-{len(own)}", day, amount))
    credits = []
    for invoice in own:
        if rng.random() < 0.125:
            day = min(invoice.date + timedelta(days=rng.randint(0, 75)), TODAY)
            share = rng.choice([Decimal(1), Decimal("0.5"), Decimal("0.13")])
            number = f"CN-{partner.pk}-{len(credits)}"
            credit = _line(partner, category, number, day, quantize(invoice.net_amount * share))
            credit.doc_type, credit.credited_doc_number = "credit_note", invoice.doc_number
            credits.append(credit)
    lines.extend(own + credits)
    return own


def _line(
    partner: Partner, category: Category, number: str, day: date, amount: Decimal
) -> SalesLine:
    return SalesLine(
        source=SOURCE, doc_type="invoice", doc_number=number, line_number=1, date=day,
        partner=partner, category=category, quantity=Decimal(1), net_amount=amount,
    )  # fmt: skip


def _targets(rng: random.Random, plan: PartnerPlan, partner: Partner) -> None:
    """Annual targets for most of the years the partner was in, quarters uneven (nothing
    before it started); now and then a category target, which the dashboards ignore."""
    targets = []
    for year in range(2023, 2027):
        ended = plan.terminated_on and plan.terminated_on < date(year, 1, 1)
        if plan.started > date(year, 12, 31) or ended or rng.random() >= plan.targets:
            continue
        weights = [
            0 if _quarter_end(year, q) < plan.started else rng.choice([0, 1, 2, 3])
            for q in range(1, 5)
        ]
        if not any(weights):
            weights[3] = 1
        amount = Decimal(plan.scale * rng.randint(6, 30))
        quarters = [quantize(amount * w / sum(weights)) for w in weights[:3]]
        quarters.append(amount - sum(quarters))
        q1, q2, q3, q4 = quarters
        targets.append(
            SalesTarget(partner=partner, year=year, amount=amount, q1=q1, q2=q2, q3=q3, q4=q4)
        )
        if rng.random() < 0.2:
            other = Category.objects.get(code="OTHER")
            targets.append(SalesTarget(partner=partner, year=year, category=other, amount=100,
                                       q1=25, q2=25, q3=25, q4=25))  # fmt: skip
    SalesTarget.objects.bulk_create(targets)


def _tasks(rng: random.Random, plan: PartnerPlan, partner: Partner, assignee: User) -> None:
    """Done on time (some on the due day), done late, open (overdue or not yet due),
    cancelled; tasks due after a partner left were cancelled."""
    first = max(plan.started, date(2023, 6, 1))
    last = min((plan.terminated_on or LAST_DUE) + timedelta(days=20), LAST_DUE)
    tasks = []
    for number in range(rng.randint(0, 12)):
        due = _day_between(rng, first, last)
        draw = rng.random()
        status, completed_on = TaskStatus.OPEN, None
        if plan.terminated_on and due > plan.terminated_on or draw < 0.12:
            status = TaskStatus.CANCELLED
        elif draw < 0.55:
            status, completed_on = TaskStatus.DONE, due - timedelta(days=rng.randint(0, 6))
        elif draw < 0.75 and due < TODAY:
            late = due + timedelta(days=rng.randint(1, 25))
            status, completed_on = TaskStatus.DONE, min(late, TODAY)
        if completed_on and completed_on > TODAY:
            status, completed_on = TaskStatus.OPEN, None
        kind = TaskKind.ADHOC if status == TaskStatus.OPEN else rng.choice(list(TaskKind))
        tasks.append(MaintenanceTask(
            partner=partner, kind=kind, title=f"Task {number}", due_on=due, assignee=assignee,
            status=status, completed_on=completed_on,
            note="The partner was terminated." if status == TaskStatus.CANCELLED else "",
        ))  # fmt: skip
    MaintenanceTask.objects.bulk_create(tasks)


def _reviews(rng: random.Random, plan: PartnerPlan, partner: Partner, manager: User) -> None:
    """About half the quarters the partner was in have a review: planned and never held,
    held on time or late, closed (with its scorecard), cancelled — sometimes cancelled and
    planned again."""
    reviews = []
    for year in range(2023, 2027):
        for quarter in range(1, 5):
            start, end = date(year, 3 * quarter - 2, 1), _quarter_end(year, quarter)
            ended = plan.terminated_on and plan.terminated_on < start
            if plan.started > end or ended or start > TODAY or rng.random() < 0.45:
                continue
            review = BusinessReview(
                partner=partner, year=year, quarter=quarter, due_on=end, tier=plan.tier,
                manager=manager,
            )  # fmt: skip
            draw = rng.random()
            if draw < 0.15:
                reviews.append(_cancelled(review))
                if rng.random() < 0.5:
                    continue
                review = BusinessReview(
                    partner=partner, year=year, quarter=quarter, due_on=end, tier=plan.tier,
                    manager=manager,
                )  # fmt: skip
                draw = rng.random()
            held_on = _day_between(rng, max(start, plan.started), min(end, TODAY))
            if draw < 0.65 and end < TODAY and rng.random() < 0.25:
                held_on = min(end + timedelta(days=rng.randint(1, 30)), TODAY)  # late
            if draw < 0.35:
                review.status, review.held_on = ReviewStatus.HELD, held_on
            elif draw < 0.65:
                review.status, review.held_on = ReviewStatus.CLOSED, held_on
                review.sales_score = review.service_score = 3
                review.market_score = review.satisfaction_score = 4
                review.overall_score, review.figures = Decimal("3.40"), {}
            reviews.append(review)
    BusinessReview.objects.bulk_create(reviews)


def _cancelled(review: BusinessReview) -> BusinessReview:
    review.status, review.cancel_reason = ReviewStatus.CANCELLED, "Called off"
    return review


def _interactions(rng: random.Random, plan: PartnerPlan, partner: Partner) -> None:
    """Interactions at random moments, and for a third of the partners a pair minutes either
    side of midnight at the end of a month (Shanghai time)."""
    last = min(plan.terminated_on or date(2026, 11, 28), date(2026, 11, 28))
    first = max(plan.started, date(2023, 6, 1))
    if first > last:
        return
    moments = []
    for _ in range(rng.randint(0, 12)):
        day = _day_between(rng, first, last)
        moments.append(datetime(day.year, day.month, day.day, rng.randint(0, 23),
                                rng.randint(0, 59), tzinfo=SHANGHAI))  # fmt: skip
    if rng.random() < 0.35:
        month_end = _month_end(_day_between(rng, first, last))
        if month_end < last:
            moments.append(datetime(month_end.year, month_end.month, month_end.day, 23,
                                    rng.randint(30, 59), tzinfo=SHANGHAI))  # fmt: skip
            following = month_end + timedelta(days=1)
            moments.append(datetime(following.year, following.month, 1, 0, rng.randint(0, 29),
                                    tzinfo=SHANGHAI))  # fmt: skip
    Interaction.objects.bulk_create(
        Interaction(partner=partner, kind="call", occurred_at=moment, summary="Call")
        for moment in moments
    )
