"""The monthly survey: who gets it, the secret link, answering once, low-score follow-ups."""

import hashlib
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from maintenance.models import MaintenanceTask
from partners.choices import PartnerStatus
from partners.models import PartnerEvent
from reminders import services as reminders
from reminders.choices import ReminderKind
from reminders.models import Digest
from surveys import services
from surveys.choices import SurveyStatus
from surveys.models import Survey, SurveyResponse
from tests.factories import ContactFactory, PartnerFactory

from .conftest import NOVEMBER, answers, at, send_survey, with_email


def test_the_month_s_survey_goes_to_each_active_partner_s_primary_contact_once(manager, partner):
    with_email(partner)
    no_email = PartnerFactory(owner=manager)
    ContactFactory(partner=no_email, is_primary=True, email="")
    suspended = PartnerFactory(owner=manager, status=PartnerStatus.SUSPENDED)
    ContactFactory(partner=suspended, is_primary=True, email="s@example.com")
    not_primary = PartnerFactory(owner=manager)
    ContactFactory(partner=not_primary, is_primary=False, email="n@example.com")

    assert services.create_month_surveys(NOVEMBER) == 1
    assert services.create_month_surveys(NOVEMBER) == 0

    survey = Survey.objects.get()
    assert (survey.partner, survey.email, survey.manager, survey.tier) == (
        partner, "chen@example.com", manager, partner.tier,
    )  # fmt: skip
    assert [question["kind"] for question in survey.questions] == [
        "satisfaction", "recommend", "comment",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("local_time", "due"),
    [
        ("2026-11-01 09:59 +08:00", None),
        ("2026-11-01 10:00 +08:00", NOVEMBER),
        ("2026-11-17 03:00 +08:00", NOVEMBER),  # missed the day: caught up later in the month
        ("2026-10-31 23:00 +08:00", date(2026, 10, 1)),
    ],
)
def test_surveys_are_due_from_the_settings_day_and_hour(db, local_time, due):
    from django.utils.dateparse import parse_datetime

    assert services.due_month(parse_datetime(local_time)) == due


def test_no_survey_is_due_when_surveys_are_turned_off(db):
    settings_row = services.survey_settings()
    settings_row.is_enabled = False
    settings_row.save()
    assert services.due_month(at(date(2026, 11, 20))) is None


def test_the_email_carries_a_192_bit_token_whose_hash_alone_is_stored(partner, now):
    with_email(partner, email="chen@example.com", language="en")
    survey, token = send_survey(partner)

    assert len(token) == 32  # 24 random bytes from `secrets`, base64url
    assert survey.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(Survey.objects.filter(pk=survey.pk).values().get())
    assert survey.status == SurveyStatus.SENT
    assert survey.expires_at == now + timedelta(days=30)
    message = mail.outbox[-1]
    assert message.to == ["chen@example.com"]
    assert message.subject == "How satisfied are you with us? (2026-11)"
    assert PartnerEvent.objects.filter(partner=partner, kind="survey_sent").count() == 1


def test_a_chinese_contact_gets_the_email_in_chinese(partner, now):
    with_email(partner, language="zh-hans")
    send_survey(partner)
    assert mail.outbox[-1].subject == "您对我们的合作满意吗？（2026-11）"


def test_every_send_makes_a_new_token(partner, manager, now):
    with_email(partner)
    other = PartnerFactory(owner=manager)
    ContactFactory(partner=other, is_primary=True, email="o@example.com")
    _survey, token = send_survey(partner)
    _other_survey, other_token = send_survey(other)
    assert token != other_token


def test_a_failed_send_is_retried_with_backoff_and_its_link_never_works(partner, now, settings):
    with_email(partner)
    services.create_month_surveys(NOVEMBER)
    survey = Survey.objects.get()
    settings.EMAIL_BACKEND = "tests.surveys.test_services.FailingBackend"

    assert services.send_survey(survey.pk, now=now) is False

    survey.refresh_from_db()
    assert (survey.status, survey.token_hash, survey.attempts) == (SurveyStatus.PENDING, None, 1)
    assert survey.next_attempt_at == now + timedelta(minutes=2)
    assert "SMTP says no" in survey.last_error
    for _attempt in range(2, 6):
        Survey.objects.filter(pk=survey.pk).update(next_attempt_at=now)
        services.send_survey(survey.pk, now=now)
    survey.refresh_from_db()
    assert (survey.status, survey.attempts) == (SurveyStatus.FAILED, 5)


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionError("SMTP says no")


def test_two_senders_never_send_the_same_survey(partner, now):
    with_email(partner)
    services.create_month_surveys(NOVEMBER)
    survey = Survey.objects.get()
    assert services.send_survey(survey.pk, now=now) is True
    assert services.send_survey(survey.pk, now=now) is None
    assert len(mail.outbox) == 1


def test_answering_stores_one_response_and_the_link_then_reads_as_answered(partner, now):
    with_email(partner)
    survey, token = send_survey(partner)

    response = services.submit_response(token, answers(satisfaction=5, recommend=10, comment="好"))

    assert (response.satisfaction, response.recommend, response.comment) == (5, 10, "好")
    assert response.needs_follow_up is False
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.ANSWERED
    with pytest.raises(services.SurveyLinkError) as used:
        services.submit_response(token, answers())
    assert used.value.reason == "answered"
    assert SurveyResponse.objects.count() == 1
    event = PartnerEvent.objects.get(partner=partner, kind="survey_answered")
    assert event.details == {"month": "2026-11", "satisfaction": 5, "recommend": 10, "low": False}


def test_an_expired_link_cannot_answer(partner, now, time_machine):
    with_email(partner)
    _survey, token = send_survey(partner)
    time_machine.move_to(now + timedelta(days=30))
    with pytest.raises(services.SurveyLinkError) as expired:
        services.submit_response(token, answers())
    assert expired.value.reason == "expired"
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize("token", ["", "x" * 32, "x" * 500])
def test_an_unknown_token_opens_nothing(db, token):
    with pytest.raises(services.SurveyLinkError) as invalid:
        services.survey_for_token(token)
    assert invalid.value.reason == "invalid"


def test_a_token_answers_its_own_partner_s_survey_and_nothing_else(partner, manager, now):
    with_email(partner)
    other = PartnerFactory(owner=manager)
    ContactFactory(partner=other, is_primary=True, email="o@example.com")
    survey, token = send_survey(partner)
    other_survey, _other_token = send_survey(other)

    services.submit_response(token, answers())

    other_survey.refresh_from_db()
    assert other_survey.status == SurveyStatus.SENT
    assert list(SurveyResponse.objects.values_list("survey", "partner")) == [
        (survey.pk, partner.pk)
    ]


def test_a_required_question_left_blank_is_refused(partner, now):
    with_email(partner)
    _survey, token = send_survey(partner)
    with pytest.raises(ValidationError):
        services.submit_response(token, answers(satisfaction=None))
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize(
    ("satisfaction", "recommend", "follow_up"),
    [(2, 9, True), (1, 7, True), (3, 6, True), (3, 0, True), (3, 7, False), (5, 10, False)],
)
def test_a_low_score_opens_a_follow_up_task_for_the_owner(
    partner, manager, now, satisfaction, recommend, follow_up
):
    with_email(partner)
    _survey, token = send_survey(partner)

    response = services.submit_response(token, answers(satisfaction, recommend, "价格太高"))

    assert response.needs_follow_up is follow_up
    tasks = MaintenanceTask.objects.filter(partner=partner, kind="adhoc")
    if not follow_up:
        assert not tasks.exists()
        return
    task = tasks.get()
    assert response.follow_up_task == task
    assert (task.assignee, task.due_on, task.note) == (manager, date(2026, 11, 4), "价格太高")
    assert task.title.startswith("电话回访低分问卷")


def test_a_low_score_reaches_the_owner_s_digest_once(partner, manager, now):
    with_email(partner)
    _survey, token = send_survey(partner)
    services.submit_response(token, answers(satisfaction=1, recommend=3))

    for offset in range(4):
        day = date(2026, 11, 2) + timedelta(days=offset)
        reminders.sweep(now=at(day, 20), as_of=day)
        reminders.sweep(now=at(day, 21), as_of=day)

    found = [
        (digest.for_date, item["key"], item["satisfaction"], item["recommend"])
        for digest in Digest.objects.filter(recipient=manager).order_by("for_date")
        for item in digest.items
        if item["kind"] == ReminderKind.SURVEY_LOW_SCORE
    ]
    response = SurveyResponse.objects.get()
    assert found == [(date(2026, 11, 2), f"survey:{response.pk}", 1, 3)]


def test_resending_gives_a_new_link_and_the_old_one_stops_working(partner, now, time_machine):
    with_email(partner)
    survey, old_token = send_survey(partner)
    with pytest.raises(ValidationError):  # its link still works
        services.resend_survey(survey)
    time_machine.move_to(now + timedelta(days=31))

    services.resend_survey(survey, email="new@example.com")
    assert services.send_survey(survey.pk, now=now + timedelta(days=31)) is True

    assert mail.outbox[-1].to == ["new@example.com"]
    with pytest.raises(services.SurveyLinkError):
        services.survey_for_token(old_token)


def test_an_answered_survey_cannot_be_resent(partner, now):
    with_email(partner)
    survey, token = send_survey(partner)
    services.submit_response(token, answers())
    with pytest.raises(ValidationError):
        services.resend_survey(survey)


def test_the_core_questions_cannot_be_retired(db):
    from surveys.models import SurveyQuestion

    services.asked_questions()
    question = SurveyQuestion.objects.get(kind="satisfaction")
    question.is_active = False
    with pytest.raises(ValidationError):
        services.save_question(question, saved_by=None)


def test_a_question_added_later_is_asked_by_surveys_sent_from_then_on(partner, now):
    from surveys.models import SurveyQuestion

    with_email(partner)
    services.save_question(
        SurveyQuestion(kind="rating", text_zh="交付及时吗？", text_en="On-time delivery?",
                       position=4, is_required=True),
        saved_by=None,
    )  # fmt: skip
    survey, token = send_survey(partner)
    extra = survey.questions[-1]
    assert extra["kind"] == "rating"
    with pytest.raises(ValidationError):
        services.submit_response(token, answers())
    response = services.submit_response(token, answers(others={str(extra["id"]): 4}))
    assert response.answers == {str(extra["id"]): 4}


def test_a_low_score_is_kept_when_the_owner_no_longer_sees_the_partner(partner, manager, now):
    with_email(partner)
    _survey, token = send_survey(partner)
    manager.is_active = False
    manager.save()
    response = services.submit_response(token, answers(satisfaction=1, recommend=2))
    assert (response.needs_follow_up, response.follow_up_task) == (True, None)


def test_a_low_score_after_the_day_s_digest_is_in_the_next_one_once(partner, manager, now):
    """The owner's digest went out at 08:00 (an overdue task); the answer comes at 15:00."""
    from maintenance.services import create_adhoc_task

    with_email(partner)
    create_adhoc_task(partner, created_by=None, title="回访", due_on=date(2026, 10, 1),
                      assignee=manager)  # fmt: skip
    _survey, token = send_survey(partner)
    reminders.sweep(now=at(date(2026, 11, 3), 8))
    services.submit_response(
        token, answers(satisfaction=1, recommend=3), now=at(date(2026, 11, 3), 15)
    )
    for day in (date(2026, 11, 3), date(2026, 11, 4), date(2026, 11, 5)):
        reminders.sweep(now=at(day, 8))
        reminders.sweep(now=at(day, 21))

    found = [
        digest.for_date
        for digest in Digest.objects.filter(recipient=manager).order_by("for_date")
        for item in digest.items
        if item["kind"] == ReminderKind.SURVEY_LOW_SCORE
    ]
    assert found == [date(2026, 11, 4)]
