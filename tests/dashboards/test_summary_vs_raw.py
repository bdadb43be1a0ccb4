"""The dashboards' figures, read from the summaries, equal the figures computed from the raw
lines (issue 9), on a generated channel (generated.py) with credit notes and tier changes
inside periods: every month, quarter and year covered on 2026-11-29, with and without
filters. The summaries kept current change by change (the queue) equal a full rebuild.

`RawChannel` is the reference: written from product.md §4 and the attribution rules of
dashboards/figures.py, not from dashboards/summary.py. It reads the raw tables into memory
and counts partner by partner, in exact fractions, rounding half-up to 0.1 % at the end:

- A partner is one from its cooperation start date until its termination date (on that
  day it is terminated: not a partner at the end of a period ending that day, but still one
  at the start of a period beginning that day).
- Its figures for a period count for the tier it held on the period's last day (today for
  the period under way), replayed from its tier history; promoted / demoted compares that
  tier with the one it held the day before the period, for the partners there at its start.
- Net sales: invoice lines minus credit-note lines dated in the period, whoever's they are
  (a partner that left may still be credited).
- Target achievement: net sales of the partners with an annual target (all categories) that
  were partners at some time in the period / the sum of their targets for it (the quarter's
  share or the year's amount; months have none).
- Timeliness and review completion: tasks / reviews due in the period, cancelled ones not
  owed; on time when done / held on or before the due date. In the period under way, only
  those due before today or already done / held count (one due next week is not late).
- Interactions: those that happened in the period, Shanghai time.
- Top-10 concentration: the net sales of the 10 partners with the largest net sales in the
  period, among those with any (so when fewer than 10 partners sold or were credited, all of
  them: 100 %), over all net sales; HHI over every partner's net sales in the period."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from django.db.models import F

from accounts.models import User
from channelhub.lib.periods import Quarter
from dashboards.figures import Filters, tier_dashboard
from dashboards.models import PartnerPeriodSummary, SummaryQueue
from dashboards.periods import MONTH, QUARTER, YEAR, Period
from dashboards.services import drain_queue
from dashboards.summary import rebuild
from maintenance.choices import TaskKind, TaskStatus
from maintenance.models import Interaction, MaintenanceTask
from maintenance.services import (
    complete_task,
    log_interaction,
    policies,
    reconcile_all,
    update_tier_policy,
)
from partners.choices import PartnerType, Province, TerminationReason, Tier
from partners.models import Partner, TierChange
from partners.services import change_tier, terminate_partner, update_partner
from reviews.choices import ReviewStatus
from reviews.models import BusinessReview
from reviews.services import plan_quarter
from sales.choices import ImportStatus
from sales.models import SalesLine, SalesTarget
from sales.services import import_sales, set_target
from tests.factories import UserFactory

from .generated import SHANGHAI, SOURCE, Channel, generate_channel

TODAY = date(2026, 11, 29)
FIRST_COVERED = date(2024, 1, 1)
SEED = 20261129
TIERS = [Tier.CORE.value, Tier.REGULAR.value, Tier.POTENTIAL.value]
RANK = {Tier.POTENTIAL: 1, Tier.REGULAR: 2, Tier.CORE: 3}

pytestmark = pytest.mark.django_db


def covered(kind: str) -> list[Period]:
    periods, period = [], Period.of(kind, FIRST_COVERED)
    while period.start <= TODAY:
        periods.append(period)
        period += 1
    return periods


EVERY_PERIOD = covered(MONTH) + covered(QUARTER) + covered(YEAR)  # 35 + 12 + 3


# --- The reference ----------------------------------------------------------------------


def tenth_half_up(value: Fraction) -> Decimal:
    tenths = math.floor(abs(value) * 10 + Fraction(1, 2))
    return Decimal(tenths if value >= 0 else -tenths).scaleb(-1)


def percent(part: Fraction | int | Decimal, whole: Fraction | int | Decimal) -> Decimal | None:
    return tenth_half_up(Fraction(part) * 100 / Fraction(whole)) if whole else None


@dataclass
class RawPartner:
    pk: int
    tier: str
    owner_id: int | None
    province: str
    partner_type: str
    started: date
    terminated_on: date | None
    changes: list[tuple[date, str, str]] = field(default_factory=list)  # oldest first
    sales: list[tuple[date, Decimal]] = field(default_factory=list)  # signed
    targets: dict[int, tuple[Decimal, ...]] = field(default_factory=dict)  # year → amount, q1–q4
    tasks: list[tuple[date, str, date | None]] = field(default_factory=list)
    reviews: list[tuple[date, str, date | None]] = field(default_factory=list)
    interactions: list[date] = field(default_factory=list)  # Shanghai dates

    def tier_on(self, day: date) -> str:
        if not self.changes:
            return self.tier
        _day, from_tier, first_to = self.changes[0]
        tier = from_tier or first_to  # before its first change (or from it, if first set then)
        for effective_on, _from_tier, to_tier in self.changes:
            if effective_on <= day:
                tier = to_tier
        return tier

    def is_partner_at_start(self, period: Period) -> bool:
        return self.started < period.start and not self.left_before(period.start)

    def is_partner_at_end(self, day: date) -> bool:
        return self.started <= day and (self.terminated_on is None or self.terminated_on > day)

    def left_before(self, day: date) -> bool:
        return self.terminated_on is not None and self.terminated_on < day

    def was_partner_in(self, period: Period) -> bool:
        return self.started <= period.end and not self.left_before(period.start)

    def net_sales(self, period: Period) -> Decimal:
        return sum((amount for day, amount in self.sales if period.contains(day)), Decimal(0))

    def target(self, period: Period) -> Decimal | None:
        agreed = self.targets.get(period.start.year)
        if agreed is None or period.kind == MONTH or not self.was_partner_in(period):
            return None
        return agreed[0] if period.kind == YEAR else agreed[(period.start.month - 1) // 3 + 1]

    def matches(self, filters: Filters) -> bool:
        return (
            (not filters.province or self.province in filters.province)
            and (not filters.partner_type or self.partner_type in filters.partner_type)
            and (filters.owner is None or self.owner_id == filters.owner)
        )


@dataclass
class Tally:
    """One tier's (or the total's) counts and sums for one period."""

    partners: int = 0
    at_start: int = 0
    new: int = 0
    terminated: int = 0
    promoted: int = 0
    demoted: int = 0
    active: int = 0
    net_sales: Decimal = Decimal(0)
    net_sales_year_before: Decimal = Decimal(0)
    net_sales_with_target: Decimal = Decimal(0)
    target: Decimal = Decimal(0)
    tasks_due: int = 0
    tasks_on_time: int = 0
    reviews_due: int = 0
    reviews_on_time: int = 0
    interactions: int = 0

    def add(self, other: Tally) -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    def figures(self, all_net_sales: Decimal) -> dict[str, object]:
        before = self.net_sales_year_before
        return {
            "partners": self.partners,
            "at_start": self.at_start,
            "new": self.new,
            "terminated": self.terminated,
            "promoted": self.promoted,
            "demoted": self.demoted,
            "active": self.active,
            "net_sales": self.net_sales,
            "net_sales_year_before": before,
            "share": percent(self.net_sales, all_net_sales) if all_net_sales > 0 else None,
            "growth": percent(self.net_sales - before, before) if before > 0 else None,
            "activity_rate": percent(self.active, self.at_start),
            "churn_rate": percent(self.terminated, self.at_start),
            "achievement": percent(self.net_sales_with_target, self.target),
            "timeliness": percent(self.tasks_on_time, self.tasks_due),
            "review_completion": percent(self.reviews_on_time, self.reviews_due),
            "interactions": self.interactions,
        }


def tally(partner: RawPartner, period: Period) -> Tally:
    last_day = min(period.end, TODAY)
    row = Tally(
        partners=partner.is_partner_at_end(last_day),
        at_start=partner.is_partner_at_start(period),
        new=period.contains(partner.started),
        terminated=partner.terminated_on is not None and period.contains(partner.terminated_on),
        net_sales=partner.net_sales(period),
        net_sales_year_before=partner.net_sales(period.year_before),
    )
    row.active = row.partners and row.net_sales > 0
    if row.at_start:
        now, before = partner.tier_on(last_day), partner.tier_on(period.start - timedelta(days=1))
        row.promoted, row.demoted = RANK[now] > RANK[before], RANK[now] < RANK[before]
    target = partner.target(period)
    if target is not None:
        row.target, row.net_sales_with_target = target, row.net_sales
    for due_on, status, done_on in partner.tasks:
        owed_yet = due_on < TODAY or status == TaskStatus.DONE
        if period.contains(due_on) and status != TaskStatus.CANCELLED and owed_yet:
            row.tasks_due += 1
            row.tasks_on_time += status == TaskStatus.DONE and done_on <= due_on
    for due_on, status, held_on in partner.reviews:
        held = status in (ReviewStatus.HELD, ReviewStatus.CLOSED)
        owed_yet = due_on < TODAY or held
        if period.contains(due_on) and status != ReviewStatus.CANCELLED and owed_yet:
            row.reviews_due += 1
            row.reviews_on_time += held and held_on <= due_on
    row.interactions = sum(period.contains(day) for day in partner.interactions)
    return row


@dataclass
class Expected:
    tiers: dict[str, dict[str, object]]  # tier (and "total") → figure → value
    top10_percent: Decimal | None
    hhi: Decimal | None


@dataclass
class RawChannel:
    partners: dict[int, RawPartner]

    @classmethod
    def load(cls) -> RawChannel:
        partners = {
            pk: RawPartner(pk, *values)
            for pk, *values in Partner.objects.values_list(
                "pk", "tier", "owner_id", "province", "partner_type", "cooperation_start_date",
                "terminated_on",
            )
        }  # fmt: skip
        changes = TierChange.objects.order_by("effective_on", "created_at", "pk")
        for pk, *change in changes.values_list(
            "partner_id", "effective_on", "from_tier", "to_tier"
        ):
            partners[pk].changes.append(tuple(change))
        for pk, day, doc_type, amount in SalesLine.objects.values_list(
            "partner_id", "date", "doc_type", "net_amount"
        ):
            partners[pk].sales.append((day, -amount if doc_type == "credit_note" else amount))
        for pk, year, *amounts in SalesTarget.objects.filter(category=None).values_list(
            "partner_id", "year", "amount", "q1", "q2", "q3", "q4"
        ):
            partners[pk].targets[year] = tuple(amounts)
        for pk, *task in MaintenanceTask.objects.values_list(
            "partner_id", "due_on", "status", "completed_on"
        ):
            partners[pk].tasks.append(tuple(task))
        for pk, *review in BusinessReview.objects.values_list(
            "partner_id", "due_on", "status", "held_on"
        ):
            partners[pk].reviews.append(tuple(review))
        for pk, moment in Interaction.objects.values_list("partner_id", "occurred_at"):
            partners[pk].interactions.append(moment.astimezone(SHANGHAI).date())
        return cls(partners)

    def expected(self, period: Period, filters: Filters) -> Expected:
        tallies = {tier: Tally() for tier in [*TIERS, "total"]}
        net_by_partner = []
        for partner in self.partners.values():
            if not partner.matches(filters):
                continue
            row = tally(partner, period)
            tallies[partner.tier_on(min(period.end, TODAY))].add(row)
            tallies["total"].add(row)
            net_by_partner.append(row.net_sales)
        total = tallies["total"].net_sales
        largest = sorted((net for net in net_by_partner if net), reverse=True)[:10]
        hhi = None
        if total > 0:
            hhi = tenth_half_up(
                sum((Fraction(n) * 100 / Fraction(total)) ** 2 for n in net_by_partner)
            )
        return Expected(
            tiers={tier: t.figures(total) for tier, t in tallies.items()},
            top10_percent=percent(sum(largest), total) if total > 0 else None,
            hhi=hhi,
        )


# --- Comparing ---------------------------------------------------------------------------


def differences(raw: RawChannel, period: Period, filters: Filters, label: str) -> list[str]:
    """One line per figure where the dashboard differs from the raw lines."""
    dashboard = tier_dashboard(period, filters, first_covered=FIRST_COVERED)
    expected = raw.expected(period, filters)
    where = f"{period} {label}"
    found = []
    for tier, figures in expected.tiers.items():
        for name, value in figures.items():
            actual = getattr(dashboard.tiers[tier], name)
            if actual != value:
                found.append(f"{where} {tier}.{name}: summaries {actual}, raw lines {value}")
    concentration = dashboard.concentration[period]
    for name in ("top10_percent", "hhi"):
        actual, value = getattr(concentration, name), getattr(expected, name)
        if actual != value:
            found.append(f"{where} {name}: summaries {actual}, raw lines {value}")
    return found


def describe(filters: Filters) -> str:
    """`[province=GD,BJ owner=manager]`."""
    given = {
        "province": ",".join(filters.province),
        "partner_type": ",".join(filters.partner_type),
        "owner": filters.owner and User.objects.get(pk=filters.owner).username,
    }
    return "[" + (" ".join(f"{k}={v}" for k, v in given.items() if v) or "everyone") + "]"


def all_differences(periods: list[Period], filters: Filters) -> list[str]:
    raw = RawChannel.load()
    label = describe(filters)
    return [line for period in periods for line in differences(raw, period, filters, label)]


def report(found: list[str]) -> str:
    return f"{len(found)} figures differ:\n" + "\n".join(found[:80])


def summary_rows() -> list[tuple]:
    columns = [f.attname for f in PartnerPeriodSummary._meta.concrete_fields if not f.primary_key]
    return list(
        PartnerPeriodSummary.objects.order_by("partner_id", "kind", "start").values_list(*columns)
    )


def row_differences(kept: list[tuple], rebuilt: list[tuple]) -> str:
    """The rows only one side has (partner, kind, start, tier, … as in the model)."""
    only_kept, only_rebuilt = sorted(set(kept) - set(rebuilt)), sorted(set(rebuilt) - set(kept))
    lines = [f"kept by the queue only: {row}" for row in only_kept[:15]]
    lines += [f"a rebuild only:         {row}" for row in only_rebuilt[:15]]
    return f"{len(only_kept)} / {len(only_rebuilt)} rows differ:\n" + "\n".join(lines)


# --- The channel --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clock(time_machine):
    """The services date what they write by the clock: it is 2026-11-29, noon in Shanghai."""
    time_machine.move_to(datetime(2026, 11, 29, 12, 0, tzinfo=SHANGHAI))


@pytest.fixture
def channel(manager, colleague) -> Channel:
    third = UserFactory(username="third")
    return generate_channel(SEED, owners=[manager, colleague, third], fallback_owner=manager)


FILTERS = {
    "everyone": {},
    "Guangdong and Beijing": {"province": ("GD", "BJ")},
    "resellers and agents": {"partner_type": ("reseller", "agent")},
    "the manager's partners": {"owner": "manager"},
    "the colleague's distributors and retailers in GD, SH, ZJ": {
        "province": ("GD", "SH", "ZJ"),
        "partner_type": ("distributor", "retailer"),
        "owner": "colleague",
    },
}


def filters_named(name: str) -> Filters:
    given = dict(FILTERS[name])
    if "owner" in given:
        given["owner"] = User.objects.get(username=given["owner"]).pk
    return Filters(**given)


def test_the_generated_channel_has_the_cases_that_make_periods_hard(channel):
    raw = RawChannel.load()
    partners = raw.partners.values()
    invoiced = dict(SalesLine.objects.filter(doc_type="invoice").values_list("doc_number", "date"))
    credit_notes = SalesLine.objects.filter(doc_type="credit_note")
    crossing = [
        line
        for line in credit_notes
        if Period.of(QUARTER, line.date) != Period.of(QUARTER, invoiced[line.credited_doc_number])
    ]
    moments = Interaction.objects.values_list("occurred_at", flat=True)
    just_after_midnight = [m for m in moments if m.astimezone(SHANGHAI).hour == 0]

    assert 30 <= len(partners) <= 40
    assert SalesLine.objects.count() > 1000
    assert credit_notes.count() > 100
    assert len(crossing) > 10
    assert credit_notes.filter(date__gt=F("partner__terminated_on")).exists()
    assert sum(len(p.changes) >= 2 for p in partners) >= 8
    assert sum(1 < change[0].day < 28 for p in partners for change in p.changes) >= 20
    assert sum(p.terminated_on is not None and 1 < p.terminated_on.day < 28 for p in partners) >= 4
    assert sum(p.started >= FIRST_COVERED for p in partners) >= 8
    assert all(p.tier == p.tier_on(TODAY) for p in partners)  # the current tier: the last change
    assert len(just_after_midnight) >= 3
    assert set(MaintenanceTask.objects.values_list("status", flat=True)) == set(TaskStatus.values)
    assert set(BusinessReview.objects.values_list("status", flat=True)) == set(ReviewStatus.values)


@pytest.mark.parametrize("filters", list(FILTERS))
def test_every_covered_period_matches_the_raw_lines(channel, filters):
    rebuild(today=TODAY)

    found = all_differences(EVERY_PERIOD, filters_named(filters))

    assert not found, report(found)


# --- The incremental path -----------------------------------------------------------------

HEADER = "单据类型,单据号,行号,日期,渠道编码,品类编码,产品编码,数量,净额,原发票号"


def write_sales_file(tmp_path: Path, channel: Channel) -> str:
    """A new invoice this month, a credit note for a partner's last invoice, and a line
    arriving late for November 2025."""
    seller = channel.by_name("Corrected the same day")
    returner = channel.by_name("Sparse with returns")
    credited = max(channel.invoices[returner.pk], key=lambda line: line.date)
    rows = [
        f"invoice,NEW-1,1,2026-11-20,{seller.code},ALL,,3,15000.00,",
        f"credit_note,NEW-CN-1,1,2026-11-25,{returner.code},ALL,,1,{credited.net_amount},"
        f"{credited.doc_number}",
        f"invoice,NEW-2,1,2025-11-10,{seller.code},ALL,,1,800.50,",
    ]
    path = tmp_path / "sales.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return str(path)


def test_the_queue_keeps_the_summaries_a_rebuild_writes(channel, tmp_path, manager, colleague):
    rebuild(today=TODAY)
    drain_queue(today=TODAY)  # what the generator's saves queued
    before = summary_rows()

    batch = import_sales(write_sales_file(tmp_path, channel), imported_by=None, source=SOURCE)
    assert batch.status == ImportStatus.IMPORTED, batch.errors
    terminate_partner(
        channel.by_name("Up and down in 2026Q2"), terminated_by=manager,
        terminated_on=date(2026, 10, 15), reason=TerminationReason.PERFORMANCE,
    )  # fmt: skip
    change_tier(
        channel.by_name("Started on 2025-07-01"), to_tier=Tier.CORE, changed_by=None,
        reason="scores", effective_on=date(2026, 9, 10),
    )  # fmt: skip
    late = MaintenanceTask.objects.filter(
        kind=TaskKind.ADHOC, status=TaskStatus.OPEN, due_on__lt=TODAY, partner__terminated_on=None
    ).order_by("due_on", "pk")
    complete_task(late.first(), completed_by=None)
    log_interaction(
        channel.by_name("Corrected the same day"), logged_by=colleague, kind="visit",
        summary="Month-end visit", occurred_at=datetime(2026, 10, 31, 23, 45, tzinfo=SHANGHAI),
    )  # fmt: skip
    set_target(channel.by_name("Left on 2026-01-01"), year=2025, amount=Decimal(90000), set_by=None)
    update_partner(
        channel.by_name("Tier first set"), changed_by=None, province=Province.SICHUAN,
        partner_type=PartnerType.AGENT, owner=colleague,
    )  # fmt: skip

    drain_queue(today=TODAY)

    kept = summary_rows()
    rebuild(today=TODAY)
    rebuilt = summary_rows()
    assert kept != before
    assert kept == rebuilt, row_differences(kept, rebuilt)
    assert not SummaryQueue.objects.exists()
    # The months the changes fall in (quarters and years are compared above, and their
    # target achievement differs for a reason of its own, see the test above).
    periods = [Period.parse(text) for text in ("2025-11", "2026-09", "2026-10", "2026-11")]
    found = all_differences(periods, Filters()) + all_differences(
        periods, Filters(province=("SC",))
    )
    assert not found, report(found)


BULK_WRITES = {
    "the nightly task reconciliation": lambda: reconcile_all(today=TODAY),
    "a review plan (for the quarter before: its reviews are due)": lambda: plan_quarter(
        Quarter(2026, 3)
    ),
    "a new contact cadence for core partners": lambda: update_tier_policy(
        policies()[Tier.CORE], changed_by=None, contact_every_days=7
    ),
}


@pytest.mark.parametrize("write", list(BULK_WRITES))
def test_bulk_writes_queue_the_partners_whose_summaries_they_change(channel, write):
    """Set-based writes queue the partners whose figures they change (queue_partners_of)."""
    rebuild(today=TODAY)
    drain_queue(today=TODAY)
    before = summary_rows()

    BULK_WRITES[write]()
    drain_queue(today=TODAY)
    kept = summary_rows()
    rebuild(today=TODAY)
    rebuilt = summary_rows()

    assert rebuilt != before  # the write changed figures
    assert kept == rebuilt, row_differences(kept, rebuilt)
