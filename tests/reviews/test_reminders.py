"""Reviews in the daily digest: a review coming up in 7 days, action items due soon and
overdue — each reaches its recipient's digest once."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from reminders import services as reminders
from reminders.choices import ReminderKind
from reminders.models import Digest
from reviews import services

from .conftest import Q4, at, held_review

SHANGHAI = ZoneInfo("Asia/Shanghai")


def evening(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 20, tzinfo=SHANGHAI)


def items(user, day, kind):
    digest = Digest.objects.filter(recipient=user, for_date=day).first()
    return [item for item in (digest.items if digest else []) if item["kind"] == kind]


def sweep(day):
    reminders.sweep(now=evening(day), as_of=day)


def test_an_overdue_action_item_reaches_the_digest_once(partner, specialist, now):
    review = held_review(partner)
    action = services.add_action(
        review, created_by=None, title="提交促销方案", due_on=date(2026, 11, 26),
        owner_user=specialist,
    )  # fmt: skip
    contact_action = services.add_action(
        review, created_by=None, title="提交库存表", due_on=date(2026, 11, 26),
        owner_contact=partner.contacts.get(),
    )  # fmt: skip
    for day in [date(2026, 11, 20) + timedelta(days=n) for n in range(10)]:
        sweep(day)
        sweep(day)  # a second sweep the same day adds nothing
    due_soon = [
        (digest.for_date, item["key"])
        for digest in Digest.objects.order_by("for_date")
        for item in digest.items
        if item["kind"] == ReminderKind.REVIEW_ACTION_DUE
    ]
    overdue = [
        (digest.recipient_id, digest.for_date, item["key"])
        for digest in Digest.objects.order_by("for_date")
        for item in digest.items
        if item["kind"] == ReminderKind.REVIEW_ACTION_OVERDUE
    ]
    assert sorted(due_soon) == [
        (date(2026, 11, 23), f"review_action_due:{action.pk}"),
        (date(2026, 11, 23), f"review_action_due:{contact_action.pk}"),
    ]
    assert sorted(overdue) == sorted([
        (specialist.pk, date(2026, 11, 27), f"review_action_overdue:{action.pk}"),
        (partner.owner_id, date(2026, 11, 27), f"review_action_overdue:{contact_action.pk}"),
    ])  # fmt: skip
    contact_item = items(partner.owner, date(2026, 11, 27), ReminderKind.REVIEW_ACTION_OVERDUE)[0]
    assert contact_item["contact_name"] == partner.contacts.get().name


def test_a_completed_action_item_is_not_reminded(partner, now):
    review = held_review(partner)
    action = services.add_action(
        review, created_by=None, title="x", due_on=date(2026, 11, 22), owner_user=partner.owner
    )
    services.complete_action(action, completed_by=None)
    sweep(date(2026, 11, 23))
    assert items(partner.owner, date(2026, 11, 23), ReminderKind.REVIEW_ACTION_OVERDUE) == []


def test_an_item_agreed_after_its_due_date_is_announced_the_next_day(partner, now):
    review = held_review(partner)
    services.add_action(
        review,
        created_by=None,
        title="补签协议",
        due_on=date(2026, 11, 10),
        owner_user=partner.owner,
    )
    sweep(date(2026, 11, 20))
    sweep(date(2026, 11, 21))
    sweep(date(2026, 11, 22))
    assert items(partner.owner, date(2026, 11, 20), ReminderKind.REVIEW_ACTION_OVERDUE) == []
    assert len(items(partner.owner, date(2026, 11, 21), ReminderKind.REVIEW_ACTION_OVERDUE)) == 1
    assert items(partner.owner, date(2026, 11, 22), ReminderKind.REVIEW_ACTION_OVERDUE) == []


def test_a_review_coming_up_in_7_days_reaches_manager_and_attendees_once(partner, specialist, now):
    review = services.plan_review(partner, quarter=Q4, planned_by=None)
    services.schedule_review(
        review, scheduled_by=partner.owner, scheduled_at=at(date(2026, 12, 10), 15),
        format="online", staff=[partner.owner, specialist],
    )  # fmt: skip
    for day in [date(2026, 11, 20) + timedelta(days=n) for n in range(21)]:
        sweep(day)
    for person in (partner.owner, specialist):
        found = [
            (digest.for_date, item["date"], item["time"])
            for digest in Digest.objects.filter(recipient=person)
            for item in digest.items
            if item["kind"] == ReminderKind.REVIEW_UPCOMING
        ]
        assert found == [(date(2026, 12, 3), "2026-12-10", "15:00")]  # items are stored as JSON


def test_a_review_set_up_less_than_a_week_ahead_is_announced_the_next_day(partner, now):
    review = services.plan_review(partner, quarter=Q4, planned_by=None)
    services.schedule_review(
        review, scheduled_by=partner.owner, scheduled_at=at(date(2026, 11, 24)), format="online"
    )
    sweep(date(2026, 11, 20))
    sweep(date(2026, 11, 21))
    sweep(date(2026, 11, 22))
    assert items(partner.owner, date(2026, 11, 20), ReminderKind.REVIEW_UPCOMING) == []
    assert len(items(partner.owner, date(2026, 11, 21), ReminderKind.REVIEW_UPCOMING)) == 1
    assert items(partner.owner, date(2026, 11, 22), ReminderKind.REVIEW_UPCOMING) == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_email_words_review_items(partner, manager, now, mailoutbox, language):
    manager.language = language
    manager.save()
    review = held_review(partner)
    services.add_action(
        review, created_by=None, title="提交促销方案", due_on=date(2026, 11, 22), owner_user=manager
    )
    sweep(date(2026, 11, 23))
    reminders.send_pending(now=evening(date(2026, 11, 23)))
    body = mailoutbox[-1].body
    assert "提交促销方案" in body
    heading = "逾期的回顾行动项" if language == "zh-hans" else "Review action items overdue"
    assert heading in body


def test_editing_the_agenda_does_not_remind_again(partner, now, time_machine):
    review = services.plan_review(partner, quarter=Q4, planned_by=None)
    services.schedule_review(
        review, scheduled_by=partner.owner, scheduled_at=at(date(2026, 12, 10)), format="online"
    )
    for day in [date(2026, 11, 20) + timedelta(days=n) for n in range(20)]:
        if day == date(2026, 12, 5):
            time_machine.move_to("2026-12-05 09:00 +08:00")
            services.schedule_review(
                review, scheduled_by=partner.owner, scheduled_at=at(date(2026, 12, 10), 16),
                format="online", agenda="加一项：返利",
            )  # fmt: skip
        sweep(day)
    reminded = [
        digest.for_date
        for digest in Digest.objects.filter(recipient=partner.owner)
        if any(item["kind"] == ReminderKind.REVIEW_UPCOMING for item in digest.items)
    ]
    assert reminded == [date(2026, 12, 3)]


def test_a_former_owner_is_not_reminded_of_the_review(partner, colleague, vp, now):
    from partners.services import update_partner

    review = services.plan_review(partner, quarter=Q4, planned_by=None)
    services.schedule_review(
        review, scheduled_by=partner.owner, scheduled_at=at(date(2026, 11, 28)), format="online"
    )
    former = partner.owner
    partner.refresh_from_db()
    update_partner(partner, changed_by=vp, owner=colleague)
    sweep(date(2026, 11, 21))
    assert items(former, date(2026, 11, 21), ReminderKind.REVIEW_UPCOMING) == []
    assert len(items(colleague, date(2026, 11, 21), ReminderKind.REVIEW_UPCOMING)) == 1
