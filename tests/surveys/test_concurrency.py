"""Two simultaneous submissions with one token store one response (on PostgreSQL: the
second's conditional UPDATE waits for the first to commit, then touches no row)."""

import threading

import pytest
from django.db import connection

from surveys import services
from surveys.models import SurveyResponse

from .conftest import answers, send_survey, with_email

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_simultaneous_submissions_store_one_response(partner, now, monkeypatch):
    with_email(partner)
    _survey, token = send_survey(partner)
    first_updated, first_may_commit = threading.Event(), threading.Event()
    create = SurveyResponse.objects.create

    def slow_create(**fields):  # the first submission holds its row lock a while
        if threading.current_thread().name == "first":
            first_updated.set()
            first_may_commit.wait(5)
        return create(**fields)

    monkeypatch.setattr(SurveyResponse.objects, "create", slow_create)
    outcomes = {}

    def submit(name, satisfaction):
        try:
            services.submit_response(token, answers(satisfaction=satisfaction))
            outcomes[name] = "stored"
        except services.SurveyLinkError as error:
            outcomes[name] = error.reason
        finally:
            connection.close()

    first = threading.Thread(target=submit, args=("first", 5), name="first")
    second = threading.Thread(target=submit, args=("second", 1), name="second")
    first.start()
    assert first_updated.wait(5)
    second.start()
    second.join(0.5)  # blocked on the first's row lock
    assert second.is_alive()
    first_may_commit.set()
    first.join(5)
    second.join(5)

    assert outcomes == {"first": "stored", "second": "answered"}
    assert list(SurveyResponse.objects.values_list("satisfaction", flat=True)) == [5]
