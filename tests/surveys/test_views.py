"""The answer page (no login, one survey, nothing else, no secret in logs) and the staff
pages: results and comments within the row rule, settings and questions for a sales VP."""

import io
import logging
import logging.config
import sys
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from partners.models import Partner
from surveys import services
from surveys.models import SurveyQuestion, SurveyResponse
from tests.factories import ContactFactory, PartnerFactory

from .conftest import answers, send_survey, with_email

ANSWER = reverse("survey_answer")


def filled(survey, satisfaction="4", recommend="9", comment="交货快"):
    ids = {question["kind"]: f"q{question['id']}" for question in survey.questions}
    return {ids["satisfaction"]: satisfaction, ids["recommend"]: recommend,
            ids["comment"]: comment}  # fmt: skip


def test_the_link_opens_the_survey_in_the_contact_s_language_without_login(partner, now):
    with_email(partner, language="en")
    _survey, token = send_survey(partner)

    response = Client().get(ANSWER, {"t": token})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Overall, how satisfied are you with working with us?" in page
    assert partner.legal_name in page
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "same-origin"


def test_answering_from_the_page_then_the_link_reads_as_used(partner, now):
    with_email(partner)
    survey, token = send_survey(partner)
    client = Client(enforce_csrf_checks=True)
    page = client.get(ANSWER, {"t": token})
    csrf = page.context["csrf_token"]

    done = client.post(f"{ANSWER}?t={token}", {**filled(survey), "csrfmiddlewaretoken": csrf})

    assert done.status_code == 200
    assert "感谢" in done.content.decode() or "Thank you" in done.content.decode()
    response = SurveyResponse.objects.get()
    assert (response.satisfaction, response.recommend, response.comment) == (4, 9, "交货快")
    again = client.get(ANSWER, {"t": token})
    assert again.status_code == 410
    assert 'id="survey-unavailable"' in again.content.decode()


def test_a_post_without_the_csrf_token_is_refused(partner, now):
    with_email(partner)
    survey, token = send_survey(partner)
    refused = Client(enforce_csrf_checks=True).post(f"{ANSWER}?t={token}", filled(survey))
    assert refused.status_code == 403
    assert not SurveyResponse.objects.exists()


def test_an_out_of_range_answer_is_refused_and_nothing_is_stored(partner, now):
    with_email(partner)
    survey, token = send_survey(partner)
    response = Client().post(f"{ANSWER}?t={token}", filled(survey, satisfaction="9"))
    assert response.status_code == 400
    assert not SurveyResponse.objects.exists()


def test_expired_and_unknown_links_show_a_clear_page(partner, now, time_machine):
    with_email(partner)
    _survey, token = send_survey(partner)
    assert Client().get(ANSWER, {"t": "not-a-token"}).status_code == 404
    assert Client().get(ANSWER).status_code == 404
    time_machine.move_to(now + timedelta(days=31))
    expired = Client().get(ANSWER, {"t": token})
    assert expired.status_code == 410
    assert "expired" in expired.content.decode() or "过期" in expired.content.decode()


def test_the_token_grants_nothing_else(partner, now):
    """The partner is not signed in by the link: staff pages still ask for a login."""
    with_email(partner)
    _survey, token = send_survey(partner)
    client = Client()
    client.get(ANSWER, {"t": token})
    for url in [reverse("surveys:results"), partner.get_absolute_url(), "/api/v1/surveys/"]:
        assert client.get(url).status_code in (302, 401, 403), url


def test_no_token_reaches_the_logs(partner, now, client):
    """Every handler in LOGGING redacts `?t=`: Django's request warnings (404, 410), the
    runserver request line, anything logging the address."""
    logging.config.dictConfig(django_settings.LOGGING)
    stream = io.StringIO()
    root = logging.getLogger()
    console = next(handler for handler in root.handlers if handler.name == "console")
    console.setStream(stream)
    root.setLevel(logging.DEBUG)
    try:
        with_email(partner)
        survey, token = send_survey(partner)
        expired_survey_token = token
        Client().get(ANSWER, {"t": token})
        Client().post(f"{ANSWER}?t={token}", filled(survey))
        Client().get(ANSWER, {"t": expired_survey_token})  # 410 → django.request warning
        Client().get(ANSWER, {"t": "x" + token})  # 404 → django.request warning
        logging.getLogger("django.server").info('"GET %s HTTP/1.1" 200 1234', f"{ANSWER}?t={token}")
        logging.getLogger("django.request").warning("Gone: %s", f"{ANSWER}?t={token}&lang=en")
    finally:
        root.setLevel(logging.WARNING)
        console.setStream(sys.stderr)
    output = stream.getvalue()
    assert "t=[redacted]" in output
    assert token not in output


def test_a_manager_reads_the_comments_of_their_partners_only(
    partner, outsider, as_user, manager, now
):
    with_email(partner)
    _survey, token = send_survey(partner)
    services.submit_response(token, answers(2, 5, "物流太慢"))
    theirs = Partner.objects.get(owner=outsider)
    ContactFactory(partner=theirs, is_primary=True, email="x@example.com")
    _other, other_token = send_survey(theirs)
    services.submit_response(other_token, answers(1, 0, "外部的意见"))

    mine = as_user(manager).get(reverse("surveys:results")).content.decode()
    other = as_user(outsider).get(reverse("surveys:results")).content.decode()

    assert "物流太慢" in mine
    assert "外部的意见" not in mine
    assert "外部的意见" in other
    assert "物流太慢" not in other


def test_the_vp_sees_every_comment_and_the_results_page_costs_few_queries(
    partner, vp, as_user, now, django_assert_max_num_queries
):
    with_email(partner)
    for _ in range(3):
        other = PartnerFactory(owner=partner.owner)
        ContactFactory(partner=other, is_primary=True, email=f"{other.code}@example.com")
        _survey, token = send_survey(other)
        services.submit_response(token, answers(3, 8, f"意见{other.code}"))
    client = as_user(vp)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("surveys:results"), {"group_by": "tier"})
    assert page.status_code == 200
    assert page.content.decode().count("意见T") == 3


def test_only_a_sales_vp_changes_the_schedule_and_questions(vp, manager, as_user, db):
    url = reverse("surveys:settings")
    form = {"is_enabled": "on", "send_day": "5", "send_hour": "9", "valid_days": "14"}
    assert as_user(manager).post(url, form).status_code == 403
    assert as_user(vp).post(url, form).status_code == 302
    settings_row = services.survey_settings()
    assert (settings_row.send_day, settings_row.valid_days) == (5, 14)
    assert settings_row.history.first().history_user == vp

    new = {"kind": "text", "text_zh": "建议", "text_en": "Suggestions", "position": "5",
           "is_active": "on"}  # fmt: skip
    assert as_user(manager).post(reverse("surveys:question_create"), new).status_code == 403
    assert as_user(vp).post(reverse("surveys:question_create"), new).status_code == 302
    assert SurveyQuestion.objects.get(text_en="Suggestions").kind == "text"


def test_bad_settings_name_the_field(vp, as_user, db):
    response = as_user(vp).post(
        reverse("surveys:settings"), {"send_day": "31", "send_hour": "9", "valid_days": "30"}
    )
    assert response.status_code == 400
    assert "send_day" in response.context["form"].errors


@pytest.mark.parametrize("user_name", ["manager", "vp"])
def test_the_survey_list_shows_the_surveys_sent(partner, user_name, request, as_user, now):
    with_email(partner)
    send_survey(partner)
    page = as_user(request.getfixturevalue(user_name)).get(reverse("surveys:survey_list"))
    assert partner.legal_name in page.content.decode()
