from decimal import Decimal

from partners.models import Partner
from surveys import services
from tests.factories import ContactFactory

from .conftest import answers, send_survey, with_email


def test_the_api_lists_the_caller_s_surveys_with_their_response_and_never_a_token(
    partner, outsider, as_api_user, manager, now
):
    with_email(partner)
    survey, token = send_survey(partner)
    services.submit_response(token, answers(2, 9, "慢"))
    theirs = Partner.objects.get(owner=outsider)
    ContactFactory(partner=theirs, is_primary=True, email="x@example.com")
    send_survey(theirs)

    body = as_api_user(manager).get("/api/v1/surveys/").json()

    assert [row["id"] for row in body["results"]] == [survey.pk]
    row = body["results"][0]
    assert row["response"]["satisfaction"] == 2
    assert row["response"]["needs_follow_up"] is True
    assert "token_hash" not in row
    assert token not in str(body)


def test_the_results_api_gives_csat_nps_and_response_rate(partner, as_api_user, vp, now):
    with_email(partner)
    _survey, token = send_survey(partner)
    services.submit_response(token, answers(4, 10))

    rows = as_api_user(vp).get("/api/v1/survey-results/", {"group_by": "tier"}).json()

    assert rows[-1] == {
        "group": None, "label": "", "responses": 1, "csat": "4.00", "nps": "100.0",
        "sent": 1, "answered": 1, "response_rate": "100.0", "low_scores": 0,
    }  # fmt: skip
    assert rows[0]["group"] == partner.tier
    assert Decimal(rows[0]["csat"]) == Decimal("4.00")


def test_a_bad_month_answers_400(as_api_user, vp):
    response = as_api_user(vp).get("/api/v1/survey-results/", {"first": "2026-13"})
    assert response.status_code == 400
    assert "first" in response.json()


def test_survey_results_need_the_survey_permission(as_api_user, partner_user):
    assert as_api_user(partner_user).get("/api/v1/survey-results/").status_code == 403
