"""What goes into the daily digests: one collector per kind of item, each a set-based query
over all recipients at once, so the sweep's number of queries does not grow with the number
of partners. An item is a dict {kind, key, recipient, partner, partner_name, date, trigger,
...}; `trigger` is the day an event item became due (None for items that hold every day,
such as an overdue task), so a digest after some days of downtime can catch up."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Case, CharField, Count, F, Q, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import User
from accounts.roles import ROLES_SEEING_ALL_PARTNERS, Role
from channelhub.lib.periods import local_midnight
from maintenance.models import Interaction, MaintenanceTask
from partners.choices import PartnerStatus
from partners.models import Contact, Partner, TierChange
from reviews.choices import ReviewStatus
from reviews.models import BusinessReview, ReviewAction
from support.choices import CLOCK_RUNNING
from support.models import PartnerIssue
from surveys.models import SurveyResponse

from .choices import ReminderKind
from .holidays import holidays_between

Item = dict[str, Any]
SHOWN_PER_KIND = 30  # items of a kind a digest lists; the rest are counted
DUE_SOON_DAYS = 3
BIRTHDAY_LEAD_DAYS = 3
HOLIDAY_LEAD_DAYS = 3
CONTRACT_NOTICE_DAYS = (60, 30, 7)
REVIEW_LEAD_DAYS = 7
CATCH_UP_DAYS = 31  # a digest after downtime reaches this far back


def _days(start: date, end: date) -> Iterable[date]:
    """The days after `start` up to `end`."""
    day = start + timedelta(days=1)
    while day <= end:
        yield day
        day += timedelta(days=1)


def _task_item(kind: str, task: dict[str, Any]) -> Item:
    return {
        "kind": kind,
        "key": f"task:{task['pk']}",
        "recipient": task["assignee_id"],
        "partner": task["partner_id"],
        "partner_name": task["partner__legal_name"],
        "date": task["due_on"],
        "task_kind": task["kind"],
        "title": task["title"],
        "trigger": None,
    }


TASK_FIELDS = ("pk", "assignee_id", "partner_id", "partner__legal_name", "due_on", "kind", "title")


def tasks(today: date, since: date, now: datetime) -> list[Item]:
    """Overdue and due-soon maintenance tasks in one query: per assignee and kind, the
    SHOWN_PER_KIND earliest-due, each carrying how many there are in all (a manager may
    have thousands overdue; the digest lists the first and counts the rest)."""
    due_soon_end = today + timedelta(days=DUE_SOON_DAYS)
    kind = Case(
        When(due_on__lt=today, then=Value(ReminderKind.TASK_OVERDUE.value)),
        default=Value(ReminderKind.TASK_DUE_SOON.value),
        output_field=CharField(),
    )
    partition: list[Any] = [F("assignee_id"), kind]
    ranked = (
        MaintenanceTask.objects.open()
        .filter(due_on__lte=due_soon_end)
        .exclude(partner__status=PartnerStatus.TERMINATED)
        .annotate(
            reminder_kind=kind,
            rank=Window(RowNumber(), partition_by=partition, order_by=[F("due_on").asc(), F("id")]),
            total=Window(Count("id"), partition_by=partition),
        )
        .filter(rank__lte=SHOWN_PER_KIND)
        .values(*TASK_FIELDS, "reminder_kind", "total")
    )
    return [{**_task_item(task["reminder_kind"], task), "total": task["total"]} for task in ranked]


def follow_ups(today: date, since: date, now: datetime) -> list[Item]:
    interactions = Interaction.objects.filter(
        follow_up_on__gt=since, follow_up_on__lte=today, logged_by__isnull=False
    ).values("pk", "logged_by_id", "partner_id", "partner__legal_name", "follow_up_on", "kind")
    return [
        {
            "kind": ReminderKind.FOLLOW_UP,
            "key": f"follow_up:{row['pk']}",
            "recipient": row["logged_by_id"],
            "partner": row["partner_id"],
            "partner_name": row["partner__legal_name"],
            "date": row["follow_up_on"],
            "interaction": row["pk"],
            "interaction_kind": row["kind"],
            "trigger": row["follow_up_on"],
        }
        for row in interactions
    ]


def birthdays(today: date, since: date, now: datetime) -> list[Item]:
    """Contacts whose birthday is BIRTHDAY_LEAD_DAYS ahead, to the partner's owner. A
    29 February birthday is remembered on 28 February in other years."""
    by_birthday: dict[tuple[int, int], date] = {}
    for trigger in _days(since, today):
        day = trigger + timedelta(days=BIRTHDAY_LEAD_DAYS)
        by_birthday[day.month, day.day] = day
        if (day.month, day.day) == (2, 28) and not _is_leap(day.year):
            by_birthday[2, 29] = day
    if not by_birthday:
        return []
    matches = Q()
    for month, day_of_month in by_birthday:
        matches |= Q(birthday__month=month, birthday__day=day_of_month)
    contacts = (
        Contact.objects.filter(matches)
        .exclude(partner__status=PartnerStatus.TERMINATED)
        .filter(partner__owner__isnull=False)
        .values("pk", "name", "partner_id", "partner__legal_name", "partner__owner_id", "birthday")
    )
    items = []
    for row in contacts:
        day = by_birthday[row["birthday"].month, row["birthday"].day]
        items.append(
            {
                "kind": ReminderKind.BIRTHDAY,
                "key": f"birthday:{row['pk']}:{day.isoformat()}",
                "recipient": row["partner__owner_id"],
                "partner": row["partner_id"],
                "partner_name": row["partner__legal_name"],
                "contact_name": row["name"],
                "date": day,
                "trigger": day - timedelta(days=BIRTHDAY_LEAD_DAYS),
            }
        )
    return items


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def holidays(today: date, since: date, now: datetime) -> list[Item]:
    """A holiday HOLIDAY_LEAD_DAYS ahead: greet your partners (one item per owner)."""
    coming = holidays_between(
        since + timedelta(days=1 + HOLIDAY_LEAD_DAYS), today + timedelta(days=HOLIDAY_LEAD_DAYS)
    )
    if not coming:
        return []
    owners = (
        Partner.objects.exclude(status=PartnerStatus.TERMINATED)
        .filter(owner__isnull=False)
        .values("owner_id")
        .annotate(partners=Count("id"))
        .order_by()
    )
    return [
        {
            "kind": ReminderKind.HOLIDAY,
            "key": f"holiday:{key}:{day.isoformat()}",
            "recipient": row["owner_id"],
            "partner": None,
            "holiday": key,
            "partner_count": row["partners"],
            "date": day,
            "trigger": day - timedelta(days=HOLIDAY_LEAD_DAYS),
        }
        for key, day in coming
        for row in owners
    ]


def contracts_ending(today: date, since: date, now: datetime) -> list[Item]:
    """Contracts ending in 60, 30 and 7 days, to the owner."""
    ends: dict[date, tuple[date, int]] = {}
    for trigger in _days(since, today):
        for notice in CONTRACT_NOTICE_DAYS:
            ends[trigger + timedelta(days=notice)] = (trigger, notice)
    partners = (
        Partner.objects.exclude(status=PartnerStatus.TERMINATED)
        .filter(owner__isnull=False, contract_end_date__in=list(ends))
        .values("pk", "legal_name", "owner_id", "contract_end_date")
    )
    return [
        {
            "kind": ReminderKind.CONTRACT_ENDING,
            "key": f"contract:{row['pk']}:{row['contract_end_date'].isoformat()}:"
            f"{ends[row['contract_end_date']][1]}",
            "recipient": row["owner_id"],
            "partner": row["pk"],
            "partner_name": row["legal_name"],
            "date": row["contract_end_date"],
            "days_left": ends[row["contract_end_date"]][1],
            "trigger": ends[row["contract_end_date"]][0],
        }
        for row in partners
    ]


def upcoming_reviews(today: date, since: date, now: datetime) -> list[Item]:
    """A planned review whose meeting is REVIEW_LEAD_DAYS ahead, to its manager and our
    attendees: once per date (moving the meeting reminds again). A meeting set up less than a
    week ahead is announced the day after it was set up."""
    reviews = (
        BusinessReview.objects.filter(  # meetings from the day after `since` to a week ahead
            status=ReviewStatus.PLANNED,
            scheduled_at__gte=local_midnight(since + timedelta(days=1)),
            scheduled_at__lt=local_midnight(today + timedelta(days=REVIEW_LEAD_DAYS + 1)),
        )
        .exclude(partner__status=PartnerStatus.TERMINATED)
        .values("pk", "partner_id", "partner__legal_name", "manager_id", "scheduled_at",
                "schedule_set_on", "year", "quarter")
    )  # fmt: skip
    rows = list(reviews)
    attendees = _attendees_who_see_the_partner(rows)
    items = []
    for row in rows:
        day = timezone.localdate(row["scheduled_at"])
        trigger = day - timedelta(days=REVIEW_LEAD_DAYS)
        if row["schedule_set_on"] is not None:
            trigger = max(trigger, row["schedule_set_on"] + timedelta(days=1))
        if not since < trigger <= min(today, day):
            continue
        for recipient in {row["manager_id"], *attendees[row["pk"]]}:
            items.append(
                {
                    "kind": ReminderKind.REVIEW_UPCOMING,
                    "key": f"review:{row['pk']}:{day.isoformat()}",
                    "recipient": recipient,
                    "partner": row["partner_id"],
                    "partner_name": row["partner__legal_name"],
                    "date": day,
                    "time": timezone.localtime(row["scheduled_at"]).strftime("%H:%M"),
                    "quarter": f"{row['year']}Q{row['quarter']}",
                    "review": row["pk"],
                    "trigger": trigger,
                }
            )
    return items


def _seeing_everything() -> dict[int, set[str]]:
    """{user id: role names} of the active users who see every partner."""
    users: dict[int, set[str]] = defaultdict(set)
    for pk, role in User.objects.filter(
        Q(is_superuser=True) | Q(groups__name__in=ROLES_SEEING_ALL_PARTNERS), is_active=True
    ).values_list("pk", "groups__name"):
        users[pk].add(role)
    return users


def _pairs_that_see(
    pairs: set[tuple[int, Any]], owners: dict[int, Any], everywhere: Any = None
) -> set[tuple[int, Any]]:
    """The (partner id, user id) pairs whose user sees the partner today: its owner (from
    `owners`), a specialist on it, or someone who sees every partner. Two queries (one when
    `everywhere` is given)."""
    specialists = set(
        Partner.specialists.through.objects.filter(
            partner_id__in={partner for partner, _user in pairs}
        ).values_list("partner_id", "user_id")
    )
    if everywhere is None:
        everywhere = _seeing_everything()
    return {
        (partner, user)
        for partner, user in pairs
        if user is not None
        and (user in everywhere or (partner, user) in specialists or owners.get(partner) == user)
    }


def _attendees_who_see_the_partner(reviews: list[dict[str, Any]]) -> dict[int, set[int]]:
    """{review id: our attendees} leaving out those who no longer see the partner (an owner
    who handed it over, a specialist taken off it). Three queries whatever the number."""
    if not reviews:
        return {}
    partner_of = {row["pk"]: row["partner_id"] for row in reviews}
    staff = list(
        BusinessReview.staff.through.objects.filter(
            businessreview_id__in=list(partner_of)
        ).values_list("businessreview_id", "user_id")
    )
    owners = {row["partner_id"]: row["manager_id"] for row in reviews}  # manager = owner
    seeing = _pairs_that_see({(partner_of[review], user) for review, user in staff}, owners)
    attendees: dict[int, set[int]] = defaultdict(set)
    for review_id, user_id in staff:
        if (partner_of[review_id], user_id) in seeing:
            attendees[review_id].add(user_id)
    return attendees


def review_actions(today: date, since: date, now: datetime) -> list[Item]:
    """Open action items from business reviews: once when due soon and once when overdue,
    to their owner (a partner contact's to the review's manager). An item agreed after the
    day it would have been announced is announced the day after it was agreed."""
    actions = (
        ReviewAction.objects.open()
        .filter(due_on__lte=today + timedelta(days=DUE_SOON_DAYS))
        .filter(Q(due_on__gte=since) | Q(created_at__gte=local_midnight(since)))
        .exclude(partner__status=PartnerStatus.TERMINATED)
        .values("pk", "partner_id", "partner__legal_name", "owner_user_id", "review__manager_id",
                "owner_contact__name", "title", "due_on", "created_at")
    )  # fmt: skip
    items = []
    for row in actions:
        agreed_next_day = timezone.localdate(row["created_at"]) + timedelta(days=1)
        for kind, trigger in (
            (ReminderKind.REVIEW_ACTION_DUE, row["due_on"] - timedelta(days=DUE_SOON_DAYS)),
            (ReminderKind.REVIEW_ACTION_OVERDUE, row["due_on"] + timedelta(days=1)),
        ):
            trigger = max(trigger, agreed_next_day)
            if kind == ReminderKind.REVIEW_ACTION_DUE and trigger > row["due_on"]:
                continue  # agreed too late to be "due soon": the overdue notice follows
            if not since < trigger <= today:
                continue
            items.append(
                {
                    "kind": kind,
                    "key": f"{kind}:{row['pk']}",
                    "recipient": row["owner_user_id"] or row["review__manager_id"],
                    "partner": row["partner_id"],
                    "partner_name": row["partner__legal_name"],
                    "date": row["due_on"],
                    "title": row["title"],
                    "contact_name": row["owner_contact__name"] or "",
                    "trigger": trigger,
                }
            )
    return items


def low_survey_scores(today: date, since: date, now: datetime) -> list[Item]:
    """Survey answers with a low score (a follow-up task was opened), to the partner's
    owner, in the first digest built after they came in (`once`: whatever the hour)."""
    responses = (
        SurveyResponse.objects.filter(
            needs_follow_up=True,
            submitted_at__gte=local_midnight(since),  # the last digest's day: events after it
            submitted_at__lt=local_midnight(today + timedelta(days=1)),
        )
        .exclude(partner__status=PartnerStatus.TERMINATED)
        .filter(partner__owner__isnull=False)
        .values("pk", "partner_id", "partner__legal_name", "partner__owner_id", "satisfaction",
                "recommend", "submitted_at")
    )  # fmt: skip
    return [
        {
            "kind": ReminderKind.SURVEY_LOW_SCORE,
            "key": f"survey:{row['pk']}",
            "recipient": row["partner__owner_id"],
            "partner": row["partner_id"],
            "partner_name": row["partner__legal_name"],
            "date": timezone.localdate(row["submitted_at"]),
            "satisfaction": row["satisfaction"],
            "recommend": row["recommend"],
            "trigger": timezone.localdate(row["submitted_at"]),
            "once": True,
        }
        for row in responses
    ]


NEAR_SLA_BEFORE = timedelta(days=2)  # day 5 of a 7-day SLA
ISSUE_FIELDS = ("pk", "partner_id", "partner__legal_name", "partner__owner_id", "assignee_id",
                "title", "due_at")  # fmt: skip


def _issue_item(kind: str, row: dict[str, Any], recipient: int) -> Item:
    return {
        "kind": kind,
        "key": f"{kind}:{row['pk']}",
        "recipient": recipient,
        "partner": row["partner_id"],
        "partner_name": row["partner__legal_name"],
        "date": timezone.localdate(row["due_at"]),
        "time": timezone.localtime(row["due_at"]).strftime("%H:%M"),
        "title": row["title"],
        "issue": row["pk"],
        "trigger": None,
        "once": True,
    }


def issues_near_and_past_sla(today: date, since: date, now: datetime) -> list[Item]:
    """Partner issues whose SLA clock runs: within 2 days of their due time (day 5 of 7) to
    the assignee (else the owner); past it, to them and every sales VP. Each is announced
    once per recipient (`once`), in the first digest built after it happened; a recipient
    who no longer sees the partner gets nothing."""
    issues = (
        PartnerIssue.objects.filter(
            status__in=CLOCK_RUNNING,
            due_at__gte=now - timedelta(days=CATCH_UP_DAYS),
            due_at__lte=now + NEAR_SLA_BEFORE,
        )
        .exclude(partner__status=PartnerStatus.TERMINATED)
        .values(*ISSUE_FIELDS)
    )
    rows = list(issues)
    if not rows:
        return []
    everywhere = _seeing_everything()
    vps = {pk for pk, roles in everywhere.items() if Role.SALES_VP in roles}
    wanted = {(row["partner_id"], row["assignee_id"] or row["partner__owner_id"]) for row in rows}
    owners = {row["partner_id"]: row["partner__owner_id"] for row in rows}
    seeing = _pairs_that_see(wanted, owners, everywhere)
    items = []
    for row in rows:
        worker = row["assignee_id"] or row["partner__owner_id"]
        workers = {worker} if (row["partner_id"], worker) in seeing else set()
        if row["due_at"] > now:
            items += [_issue_item(ReminderKind.ISSUE_NEAR_SLA, row, user) for user in workers]
        else:
            items += [_issue_item(ReminderKind.ISSUE_BREACHED, row, user) for user in workers | vps]
    return items


def tier_changes(today: date, since: date, now: datetime) -> list[Item]:
    """A partner's tier changed (an approved proposal or a manual change; not the tier a
    new partner starts in): to its owner, once, in the first digest after it was recorded."""
    changes = (
        TierChange.objects.exclude(from_tier="")
        .filter(
            created_at__gte=local_midnight(since),
            created_at__lt=local_midnight(today + timedelta(days=1)),
        )
        .exclude(partner__status=PartnerStatus.TERMINATED)
        .filter(partner__owner__isnull=False)
        .values("pk", "partner_id", "partner__legal_name", "partner__owner_id", "from_tier",
                "to_tier", "effective_on")
    )  # fmt: skip
    return [
        {
            "kind": ReminderKind.TIER_CHANGED,
            "key": f"tier_change:{row['pk']}",
            "recipient": row["partner__owner_id"],
            "partner": row["partner_id"],
            "partner_name": row["partner__legal_name"],
            "date": row["effective_on"],
            "from_tier": row["from_tier"],
            "to_tier": row["to_tier"],
            "trigger": None,
            "once": True,
        }
        for row in changes
    ]


COLLECTORS: list[Callable[[date, date, datetime], list[Item]]] = [
    tasks,
    follow_ups,
    birthdays,
    holidays,
    contracts_ending,
    upcoming_reviews,
    review_actions,
    low_survey_scores,
    issues_near_and_past_sla,
    tier_changes,
]


def collect(today: date, since: date, now: datetime) -> dict[int, list[Item]]:
    """Every item due today (and event items that became due after `since`), by recipient.
    `now` is the sweep's moment (the end of `today` at the latest)."""
    by_recipient: dict[int, list[Item]] = defaultdict(list)
    for collector in COLLECTORS:
        for item in collector(today, since, now):
            by_recipient[item["recipient"]].append(item)
    return by_recipient
