"""A partner answers the monthly survey from the emailed link; a channel manager walks a
partner issue from opening to closure."""

import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from surveys import services as surveys
from surveys.models import SurveyResponse
from tests.factories import ContactFactory, PartnerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_partner_answers_the_survey_from_the_emailed_link(live_server, page: Page, manager,
                                                            settings):  # fmt: skip
    settings.SITE_URL = live_server.url
    partner = PartnerFactory(owner=manager, legal_name="成都锦江渠道有限公司")
    ContactFactory(partner=partner, name="Li Na", email="lina@example.com", is_primary=True,
                   language="en")  # fmt: skip
    surveys.create_month_surveys(timezone.localdate().replace(day=1))
    survey = partner.surveys.get()
    surveys.send_survey(survey.pk, now=timezone.now())
    link = re.search(r"http\S+/survey/\?t=[\w-]+", mail.outbox[-1].body)[0]

    page.goto(link)
    expect(page.get_by_text("Overall, how satisfied are you with working with us?")).to_be_visible()
    ids = {question["kind"]: question["id"] for question in survey.questions}
    page.check(f"input[name='q{ids['satisfaction']}'][value='2']")
    page.check(f"input[name='q{ids['recommend']}'][value='5']")
    page.fill(f"#id_q{ids['comment']}", "Deliveries are late.")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.locator("#survey-thanks")).to_be_visible()

    response = SurveyResponse.objects.get()
    assert (response.satisfaction, response.recommend, response.needs_follow_up) == (2, 5, True)
    page.goto(link)
    expect(page.locator("#survey-unavailable")).to_contain_text("already been answered")


def test_a_manager_walks_an_issue_from_opening_to_closure(live_server, page: Page, manager):
    partner = PartnerFactory(owner=manager, legal_name="武汉江城渠道有限公司")
    ContactFactory(partner=partner, name="王强", is_primary=True)

    page.goto(f"{live_server.url}/accounts/login/")
    page.select_option("#language-switcher select", "en")
    page.fill("#id_username", "manager")
    page.fill("#id_password", "correct horse battery")
    page.get_by_role("button", name="Log in", exact=True).click()

    page.goto(f"{live_server.url}/partners/{partner.pk}/")
    page.click("#open-issue")
    page.fill("#id_title", "Order 1024 not delivered")
    page.select_option("#id_category", "delivery")
    page.fill("#id_description", "The partner has waited ten days.")
    page.get_by_role("button", name="Open the issue").click()
    expect(page.locator("#issue-status")).to_have_text("New")

    page.fill("#comment-form textarea", "We are checking with the warehouse.")
    page.uncheck("#comment-form input[type=checkbox]")
    page.get_by_role("button", name="Add the comment").click()
    expect(page.locator("#issue-comments")).to_contain_text("shared with the partner")

    page.fill("#resolve-form textarea", "Re-shipped with express delivery.")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#issue-status")).to_have_text("Resolved")
    expect(page.locator("#issue-resolution")).to_contain_text("Re-shipped")

    page.click("#close-button")
    expect(page.locator("#issue-status")).to_have_text("Closed")
    page.goto(f"{live_server.url}/partners/{partner.pk}/")
    expect(page.locator("#partner-issues")).to_contain_text("Order 1024 not delivered")
