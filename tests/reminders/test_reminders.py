"""The daily digest: every kind of item, exactly once, retried on failure, caught up after
downtime, by each person's preferences; the team's group bot; the sweep's health."""

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from channelhub.services import record_heartbeat
from maintenance import services as maintenance
from maintenance.models import MaintenanceTask
from partners.choices import Tier
from reminders import services
from reminders.choices import DeliveryStatus, ReminderKind, WebhookKind
from reminders.models import Digest, ReminderPreference, Team, TeamMessage
from tests.factories import ContactFactory, PartnerFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 9, 22)  # three days before Mid-Autumn 2026 (25 September)


def evening(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 20, tzinfo=SHANGHAI)


@pytest.fixture
def portfolio(manager):
    """A core partner not contacted for 20 days (overdue), a regular one contacted 28 days ago
    (due in 2 days), a follow-up set for DAY, a contact's birthday in 3 days, a contract
    ending in 60 days."""
    core = PartnerFactory(owner=manager, tier=Tier.CORE, legal_name="核心渠道有限公司")
    regular = PartnerFactory(
        owner=manager,
        tier=Tier.REGULAR,
        legal_name="普通渠道有限公司",
        contract_end_date=DAY + timedelta(days=60),
    )
    maintenance.log_interaction(
        core, logged_by=manager, kind="call", summary="a", occurred_at=evening(DAY - timedelta(20))
    )
    maintenance.log_interaction(
        regular,
        logged_by=manager,
        kind="call",
        summary="b",
        occurred_at=evening(DAY - timedelta(28)),
        follow_up_on=DAY,
    )
    ContactFactory(partner=core, name="王总", birthday=date(1980, 9, 25))
    MaintenanceTask.objects.filter(partner=core, kind="visit").delete()
    return {"core": core, "regular": regular}


def kinds(digest):
    return sorted({item["kind"] for item in digest.items})


def test_the_digest_holds_each_kind_of_item(manager, portfolio):
    services.sweep(now=evening(DAY), as_of=DAY)

    digest = Digest.objects.get(recipient=manager)
    assert kinds(digest) == sorted(
        [
            ReminderKind.TASK_OVERDUE,
            ReminderKind.TASK_DUE_SOON,
            ReminderKind.FOLLOW_UP,
            ReminderKind.BIRTHDAY,
            ReminderKind.HOLIDAY,
            ReminderKind.CONTRACT_ENDING,
        ]
    )
    holiday = next(item for item in digest.items if item["kind"] == ReminderKind.HOLIDAY)
    assert (holiday["holiday"], holiday["partner_count"]) == ("mid_autumn", 2)


def test_the_email_is_html_and_text_in_the_recipient_s_language_with_links(
    manager, portfolio, settings
):
    settings.SITE_URL = "https://prm.example.com"
    manager.language = "en"
    manager.save()

    services.sweep(now=evening(DAY), as_of=DAY)
    services.send_pending(now=evening(DAY))

    (email,) = mail.outbox
    assert email.to == [manager.email]
    assert "reminders for 2026-09-22" in email.subject
    assert "Mid-Autumn Festival" in email.body
    assert "王总's birthday" in email.body
    html = email.alternatives[0][0]
    assert f"https://prm.example.com/partners/{portfolio['core'].pk}/" in html
    assert "Overdue maintenance tasks (1)" in html


def test_a_second_sweep_and_a_second_sender_send_nothing_more(manager, portfolio):
    services.sweep(now=evening(DAY), as_of=DAY)
    services.sweep(now=evening(DAY), as_of=DAY)
    services.send_pending(now=evening(DAY))
    services.send_pending(now=evening(DAY))

    assert Digest.objects.count() == 1
    assert len(mail.outbox) == 1
    assert Digest.objects.get().status == DeliveryStatus.SENT


def test_a_failed_send_is_retried_with_backoff_and_then_stays_failed(
    manager, portfolio, monkeypatch
):
    def smtp_down(self, fail_silently=False):
        raise ConnectionRefusedError("SMTP is down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", smtp_down)
    services.sweep(now=evening(DAY), as_of=DAY)
    now = evening(DAY)

    assert services.send_pending(now=now) == {"sent": 0, "failed": 1}
    digest = Digest.objects.get()
    assert (digest.status, digest.attempts) == (DeliveryStatus.PENDING, 1)
    assert digest.next_attempt_at == now + timedelta(minutes=2)
    assert "SMTP is down" in digest.last_error
    assert services.send_pending(now=now) == {"sent": 0, "failed": 0}  # not due yet

    for _attempt in range(services.MAX_ATTEMPTS - 1):
        now += timedelta(hours=1)
        services.send_pending(now=now)
    digest.refresh_from_db()
    assert (digest.status, digest.attempts) == (DeliveryStatus.FAILED, services.MAX_ATTEMPTS)

    monkeypatch.undo()
    services.retry(Digest.objects.all())  # the admin's action: due again now
    services.send_pending()
    assert len(mail.outbox) == 1


def test_one_recipient_failing_does_not_stop_the_others(manager, colleague, portfolio):
    PartnerFactory(owner=colleague, tier=Tier.CORE)
    maintenance.ensure_planned_tasks(today=DAY)
    MaintenanceTask.objects.filter(assignee=colleague).update(due_on=DAY - timedelta(days=1))
    manager.email = ""
    manager.save()

    services.sweep(now=evening(DAY), as_of=DAY)
    result = services.send_pending(now=evening(DAY))

    assert result == {"sent": 1, "failed": 1}
    assert [email.to for email in mail.outbox] == [[colleague.email]]


def test_a_digest_left_sending_by_a_killed_worker_is_sent_later(manager, portfolio):
    services.sweep(now=evening(DAY), as_of=DAY)
    Digest.objects.update(status=DeliveryStatus.SENDING, claimed_at=evening(DAY))

    assert services.send_pending(now=evening(DAY) + timedelta(minutes=5))["sent"] == 0
    assert services.send_pending(now=evening(DAY) + timedelta(minutes=11))["sent"] == 1
    assert len(mail.outbox) == 1


def test_a_missed_day_is_caught_up_by_the_next_sweep(manager, portfolio):
    before = DAY - timedelta(days=2)
    Digest.objects.create(recipient=manager, for_date=before, covers_from=before, items=[])
    contact_birthday = DAY + timedelta(days=2)  # its reminder fell on the missed day
    ContactFactory(
        partner=portfolio["regular"], name="李总", birthday=contact_birthday.replace(1975)
    )

    services.sweep(now=evening(DAY), as_of=DAY)

    digest = Digest.objects.get(for_date=DAY)
    names = [item.get("contact_name") for item in digest.items if item["kind"] == "birthday"]
    assert sorted(names) == ["李总", "王总"]
    assert digest.covers_from == before + timedelta(days=1)


def test_an_event_already_sent_is_not_sent_again_the_next_day(manager, portfolio):
    services.sweep(now=evening(DAY), as_of=DAY)
    next_day = DAY + timedelta(days=1)
    services.sweep(now=evening(next_day), as_of=next_day)

    later = Digest.objects.get(for_date=next_day)
    assert ReminderKind.BIRTHDAY not in kinds(later)
    assert ReminderKind.TASK_OVERDUE in kinds(later)  # still overdue: said again


def test_preferences_choose_the_items_the_hour_and_whether_to_email(manager, portfolio):
    services.save_preferences(
        manager, email_enabled=False, send_hour=18, disabled_kinds=[ReminderKind.HOLIDAY]
    )
    morning = datetime(DAY.year, DAY.month, DAY.day, 9, tzinfo=SHANGHAI)

    services.sweep(now=morning)
    assert not Digest.objects.exists()

    services.sweep(now=evening(DAY))
    digest = Digest.objects.get()
    assert ReminderKind.HOLIDAY not in kinds(digest)
    assert digest.status == DeliveryStatus.SKIPPED
    services.send_pending(now=evening(DAY))
    assert mail.outbox == []
    with pytest.raises(ValidationError):
        services.save_preferences(manager, email_enabled=True, send_hour=8, disabled_kinds=["x"])


def test_the_team_s_group_bot_gets_one_message_a_day(manager, portfolio, monkeypatch):
    posted = []

    class Answer:
        def __init__(self, body):
            self.body = body

        def read(self):
            return self.body

        def __enter__(self):
            return self

        def __exit__(self, *args):
            return False

    def fake_urlopen(request, timeout):
        posted.append((request.full_url, json.loads(request.data)["text"]["content"], timeout))
        return Answer(b'{"errcode": 0}')

    monkeypatch.setattr("urllib.request.urlopen", fake_urlopen)
    team = services.save_team(
        Team(
            name="华南组",
            webhook_kind=WebhookKind.WECOM,
            webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
        ),
        members=[manager],
        saved_by=None,
    )

    services.sweep(now=evening(DAY), as_of=DAY)
    services.sweep(now=evening(DAY), as_of=DAY)
    services.send_pending(now=evening(DAY))

    assert TeamMessage.objects.get().status == DeliveryStatus.SENT
    ((url, body, timeout),) = posted
    assert url == team.webhook_url
    assert body.splitlines()[1] == "李经理：1 项逾期，1 项 3 天内到期"
    assert timeout == 10


def test_a_group_bot_answering_an_error_is_retried(manager, portfolio, monkeypatch):
    def bot_error(request, timeout):
        raise OSError("HTTP 500")

    monkeypatch.setattr("urllib.request.urlopen", bot_error)
    services.save_team(
        Team(name="组", webhook_kind=WebhookKind.DINGTALK,
             webhook_url="https://oapi.dingtalk.com/robot/send?access_token=x"),
        members=[manager], saved_by=None,
    )  # fmt: skip
    services.sweep(now=evening(DAY), as_of=DAY)
    services.send_pending(now=evening(DAY))
    message = TeamMessage.objects.get()
    assert (message.status, message.attempts) == (DeliveryStatus.PENDING, 1)
    assert "HTTP 500" in message.last_error


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        (WebhookKind.WECOM, "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a"),
        (WebhookKind.WECOM, "https://169.254.169.254/latest/meta-data"),
        (WebhookKind.DINGTALK, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a"),
    ],
)
def test_a_webhook_goes_only_to_the_group_bot_service(db, kind, url):
    with pytest.raises(ValidationError):
        services.save_team(
            Team(name="x", webhook_kind=kind, webhook_url=url), members=[], saved_by=None
        )


def test_the_command_runs_the_sweep_for_a_given_day(manager, portfolio, capsys):
    call_command("send_reminders", "--as-of", DAY.isoformat())
    assert "1 digests" in capsys.readouterr().out
    assert len(mail.outbox) == 1


def test_healthz_reports_the_last_sweep_and_is_unhealthy_when_it_is_overdue(client, db):
    assert client.get("/healthz").json()["reminder_sweep"] == "never"
    record_heartbeat(services.SWEEP_HEARTBEAT)
    assert client.get("/healthz").json()["reminder_sweep"] == "ok"

    from django.utils import timezone

    record_heartbeat(services.SWEEP_HEARTBEAT, at=timezone.now() - timedelta(hours=2))
    response = client.get("/healthz")
    assert (response.status_code, response.json()["reminder_sweep"]) == (503, "overdue")


def test_people_set_their_preferences_and_a_vp_keeps_the_teams(as_user, manager, vp):
    response = as_user(manager).post(
        reverse("reminders:preferences"),
        {"email_enabled": "on", "send_hour": 7, "wanted_kinds": ["task_overdue"]},
    )
    assert response.status_code == 302
    preference = ReminderPreference.objects.get(user=manager)
    assert preference.send_hour == 7
    assert ReminderKind.BIRTHDAY in preference.disabled_kinds

    assert as_user(manager).get(reverse("reminders:team_create")).status_code == 403
    created = as_user(vp).post(
        reverse("reminders:team_create"),
        {"name": "华东组", "members": [manager.pk], "webhook_kind": "", "webhook_url": ""},
    )
    assert created.status_code == 302
    team = Team.objects.get()
    assert list(team.members.all()) == [manager]
    assert team.history.first().history_user == vp


def _sweep_queries(manager, partners: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for index in range(partners):
        partner = PartnerFactory(owner=manager, tier=[Tier.CORE, Tier.REGULAR][index % 2])
        ContactFactory(partner=partner, birthday=DAY + timedelta(days=3))
        maintenance.log_interaction(
            partner, logged_by=manager, kind="visit", summary="x",
            occurred_at=evening(DAY - timedelta(days=40)), follow_up_on=DAY,
        )  # fmt: skip
    services.sweep(now=evening(DAY - timedelta(1)), as_of=DAY - timedelta(1))  # plans tasks
    with CaptureQueriesContext(connection) as queries:
        services.sweep(now=evening(DAY), as_of=DAY)
    digest = Digest.objects.get(recipient=manager, for_date=DAY)
    core = (partners + 1) // 2  # core partners owe a contact and a visit, regular ones a contact
    assert digest.item_count(ReminderKind.TASK_OVERDUE) == 2 * core + (partners - core)
    assert digest.item_count(ReminderKind.BIRTHDAY) == partners
    return len(queries)


def test_the_sweep_runs_as_many_queries_for_30_partners_as_for_3(manager, colleague):
    assert _sweep_queries(manager, 3) == _sweep_queries(colleague, 30)


def test_a_digest_lists_the_first_30_tasks_of_a_kind_and_counts_the_rest(manager):
    from reminders.items import SHOWN_PER_KIND

    for partner in PartnerFactory.create_batch(SHOWN_PER_KIND + 5, owner=manager):
        MaintenanceTask.objects.create(
            partner=partner, kind="adhoc", title="回访", assignee=manager,
            due_on=DAY - timedelta(days=partner.pk % 7 + 1),
        )  # fmt: skip

    services.sweep(now=evening(DAY), as_of=DAY)
    services.send_pending(now=evening(DAY))

    digest = Digest.objects.get()
    assert digest.item_count(ReminderKind.TASK_OVERDUE) == SHOWN_PER_KIND + 5
    overdue = [item for item in digest.items if item["kind"] == ReminderKind.TASK_OVERDUE]
    assert len(overdue) == SHOWN_PER_KIND  # (the Mid-Autumn greeting is there too)
    assert "… and 5 more" in mail.outbox[0].body or "还有 5 项" in mail.outbox[0].body
