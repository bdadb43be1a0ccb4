import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from surveys import services

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOVEMBER = date(2026, 11, 1)
LINK = re.compile(r"/survey/\?t=([A-Za-z0-9_\-]+)")


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(at(date(2026, 11, 2)))
    return at(date(2026, 11, 2))


def with_email(partner, email="chen@example.com", language="zh-hans"):
    contact = partner.contacts.get(is_primary=True)
    contact.email, contact.language = email, language
    contact.save()
    return contact


def send_survey(partner, *, month=NOVEMBER, when=None):
    """Create and send the partner's survey of the month; returns (survey, token)."""
    services.create_month_surveys(month, partners=type(partner).objects.filter(pk=partner.pk))
    survey = partner.surveys.get(month=month)
    sent_before = len(mail.outbox)
    assert services.send_survey(survey.pk, now=when or at(date(2026, 11, 2))) is True
    message = mail.outbox[sent_before]
    token = LINK.search(message.body)[1]
    survey.refresh_from_db()
    return survey, token


def answers(satisfaction=4, recommend=8, comment="", others=None):
    return services.Answers(
        satisfaction=satisfaction, recommend=recommend, comment=comment, others=others or {}
    )
