"""Reminders against the real PostgreSQL and Redis: two processes sweeping and sending at the
same moment send each digest once; a real worker, reached through Redis, sends the email."""

import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from maintenance.services import log_interaction
from partners.choices import Tier
from reminders.choices import DeliveryStatus
from reminders.models import Digest
from reminders.services import sweep
from reminders.tasks import send_reminders_task
from tests.factories import PartnerFactory, UserFactory
from tests.integration.conftest import process_env, sent_messages

pytestmark = pytest.mark.django_db(transaction=True)
DAY = date(2026, 9, 22)


@pytest.fixture
def overdue_managers(manager):
    """Three managers, each with an overdue core partner."""
    managers = [manager, UserFactory(role="channel_manager"), UserFactory(role="channel_manager")]
    for person in managers:
        partner = PartnerFactory(owner=person, tier=Tier.CORE)
        log_interaction(
            partner,
            logged_by=person,
            kind="call",
            summary="上次沟通",
            occurred_at=datetime(2026, 9, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai")),
        )
    return managers


def test_two_processes_sweeping_and_sending_at_once_send_each_digest_once(
    overdue_managers, mail_dir
):
    command = [sys.executable, "manage.py", "send_reminders", "--as-of", DAY.isoformat()]
    env = process_env(EMAIL_URL=f"filemail:///{mail_dir}")
    runs = [
        subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE)
        for _ in range(2)
    ]
    for run in runs:
        assert run.wait(timeout=120) == 0

    assert Digest.objects.filter(for_date=DAY).count() == 3
    assert set(Digest.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    messages = sent_messages(mail_dir)
    assert len(messages) == 3
    assert len({message.split("To: ")[1].split("\n")[0] for message in messages}) == 3


def test_a_real_worker_sends_the_digest_through_redis(overdue_managers, worker, mail_dir):
    sweep(now=datetime(2026, 9, 22, 20, tzinfo=ZoneInfo("Asia/Shanghai")), as_of=DAY)
    Digest.objects.update(next_attempt_at=datetime(2026, 9, 22, tzinfo=ZoneInfo("UTC")))

    send_reminders_task.apply_async(queue=worker)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(sent_messages(mail_dir)) < 3:
        time.sleep(0.2)
    assert len(sent_messages(mail_dir)) == 3
    assert Digest.objects.filter(status=DeliveryStatus.SENT).count() == 3
    assert all(timedelta(0) <= d.sent_at - d.created_at for d in Digest.objects.all())
