"""Script payloads in issues, comments, articles, survey answers and partner names are
escaped on every page and email that shows them."""

from django.core import mail
from django.urls import reverse

from support import services
from support.models import Article
from surveys import services as surveys
from tests.factories import ContactFactory, PartnerFactory
from tests.surveys.conftest import LINK, NOVEMBER

XSS = '<script>alert("x")</script>'


def test_closed_loop_pages_and_emails_escape_script_payloads(as_user, manager, vp, time_machine):
    time_machine.move_to("2026-11-02 10:00 +08:00")
    partner = PartnerFactory(owner=manager, legal_name=f"恶意{XSS}")
    ContactFactory(partner=partner, name=XSS, email="x@example.com", is_primary=True)
    issue = services.open_issue(partner, opened_by=manager, title=XSS, category="other",
                                description=XSS)  # fmt: skip
    services.add_comment(issue, author=manager, body=XSS, is_internal=False)
    issue = services.resolve_issue(issue, resolved_by=manager, resolution=XSS)
    article = services.write_up_issue(issue, written_by=manager)
    Article.objects.filter(pk=article.pk).update(tags=XSS)
    surveys.create_month_surveys(NOVEMBER)
    survey = partner.surveys.get()
    surveys.send_survey(survey.pk, now=survey.created_at)
    message = mail.outbox[-1]
    token = LINK.search(message.body)[1]
    surveys.submit_response(token, surveys.Answers(1, 2, XSS, {}))

    assert XSS not in message.alternatives[0][0]
    client = as_user(vp)
    pages = [
        issue.get_absolute_url(),
        reverse("support:issue_list"),
        reverse("support:article_list"),
        article.get_absolute_url(),
        partner.get_absolute_url(),
        reverse("partners:partner_timeline", args=[partner.pk]),
        reverse("surveys:results"),
        reverse("surveys:survey_list"),
    ]
    for url in pages:
        body = client.get(url).content.decode()
        assert XSS not in body, url
        assert "&lt;script&gt;" in body, url
