"""Every URL route and every OpenAPI operation is listed here with who may reach it; a new
route that is not listed fails `test_every_route_is_in_the_access_table`. For every route on
a partner, the outsider (a manager of another portfolio) gets 404."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from channelhub.lib.periods import Quarter
from maintenance.services import create_adhoc_task, log_interaction
from reviews import services as reviews
from sales.services import set_target
from support import services as issues
from surveys import services as surveys
from tests.factories import ContactFactory, SalesLineFactory
from tiers import services as tiers
from tiers.models import TierProposal

PUBLIC = "public"  # reachable without login
SIGNED_IN = "signed in"  # any signed-in user
STAFF = "staff"  # needs a staff role's permission; rows filtered by visible_to
PARTNER = "partner"  # on one partner: 404 outside the user's portfolio
OWN = "own"  # the user's own rows only (their imports, their profile)
UNDER_PARTNER = "under a partner"  # an object of one partner: 404 outside the portfolio

ROUTES = {
    "home": SIGNED_IN,
    "healthz": PUBLIC,
    "set_language": PUBLIC,
    "login": PUBLIC,
    "logout": SIGNED_IN,
    "password_change": SIGNED_IN,
    "password_change_done": SIGNED_IN,
    "password_reset": PUBLIC,
    "password_reset_done": PUBLIC,
    "password_reset_confirm": PUBLIC,
    "password_reset_complete": PUBLIC,
    "accounts:profile": OWN,
    "accounts:regenerate_token": OWN,
    "partners:partner_list": STAFF,
    "partners:partner_create": STAFF,
    "partners:partner_export": STAFF,
    "partners:partner_import": STAFF,
    "partners:partner_import_template": STAFF,
    "partners:partner_import_preview": OWN,
    "partners:partner_detail": PARTNER,
    "partners:partner_update": PARTNER,
    "partners:partner_timeline": PARTNER,
    "partners:partner_history": PARTNER,
    "partners:partner_terminate": PARTNER,
    "partners:partner_suspend": PARTNER,
    "partners:partner_reactivate": PARTNER,
    "partners:partner_change_tier": PARTNER,
    "partners:contact_create": PARTNER,
    "partners:contact_update": PARTNER,
    "partners:contact_delete": PARTNER,
    "sales:catalogue": STAFF,
    "sales:catalogue_import": STAFF,
    "sales:category_create": STAFF,
    "sales:category_update": STAFF,
    "sales:product_list": STAFF,
    "sales:product_create": STAFF,
    "sales:product_update": STAFF,
    "sales:sales_import": STAFF,
    "sales:sales_import_template": STAFF,
    "sales:sales_import_detail": STAFF,
    "sales:sales_import_errors": STAFF,
    "sales:target_list": STAFF,
    "sales:target_import": STAFF,
    "sales:target_template": STAFF,
    "sales:partner_targets": PARTNER,
    "maintenance:my_tasks": STAFF,
    "maintenance:task_action": UNDER_PARTNER,
    "maintenance:interaction_list": STAFF,
    "maintenance:interaction_detail": UNDER_PARTNER,
    "maintenance:attachment_download": UNDER_PARTNER,
    "maintenance:tier_policies": STAFF,
    "maintenance:interaction_create": PARTNER,
    "maintenance:task_create": PARTNER,
    "reviews:review_list": STAFF,
    "reviews:plan_quarter": STAFF,
    "reviews:completion": STAFF,
    "reviews:weights": STAFF,
    "reviews:review_detail": UNDER_PARTNER,
    "reviews:review_step": UNDER_PARTNER,
    "reviews:action_create": UNDER_PARTNER,
    "reviews:action_step": UNDER_PARTNER,
    "reviews:attachment_download": UNDER_PARTNER,
    "reviews:partner_review_create": PARTNER,
    "surveys:results": STAFF,
    "surveys:survey_list": STAFF,
    "surveys:survey_resend": UNDER_PARTNER,
    "surveys:settings": STAFF,
    "surveys:question_create": STAFF,
    "surveys:question_update": STAFF,
    "survey_answer": PUBLIC,
    "support:issue_list": STAFF,
    "support:issue_kpis": STAFF,
    "support:issue_detail": UNDER_PARTNER,
    "support:issue_step": UNDER_PARTNER,
    "support:issue_write_up": UNDER_PARTNER,
    "support:attachment_download": UNDER_PARTNER,
    "support:issue_create": PARTNER,
    "support:article_list": STAFF,
    "support:article_create": STAFF,
    "support:article_detail": STAFF,
    "support:article_update": STAFF,
    "tiers:proposal_list": STAFF,
    "tiers:proposal_decide": STAFF,
    "tiers:run_list": STAFF,
    "tiers:run_start": STAFF,
    "tiers:run_detail": STAFF,
    "tiers:scoring_model": STAFF,
    "incentives:statement_list": STAFF,
    "incentives:statement_approve": STAFF,
    "incentives:statement_export": STAFF,
    "incentives:statement_detail": UNDER_PARTNER,
    "incentives:statement_print": UNDER_PARTNER,
    "incentives:statement_payout": UNDER_PARTNER,
    "incentives:result_lines": UNDER_PARTNER,
    "incentives:program_list": STAFF,
    "incentives:program_create": STAFF,
    "incentives:program_detail": STAFF,
    "incentives:program_edit": STAFF,
    "incentives:program_approve": STAFF,
    "incentives:program_retire": STAFF,
    "incentives:rule_create": STAFF,
    "incentives:rule_edit": STAFF,
    "incentives:run_start": STAFF,
    "incentives:what_if": STAFF,
    "incentives:run_detail": STAFF,
    "dashboards:tiers": STAFF,
    "dashboards:team": STAFF,
    "dashboards:my_day": STAFF,
    "dashboards:settings": STAFF,
    "reminders:preferences": OWN,
    "reminders:team_list": STAFF,
    "reminders:team_create": STAFF,
    "reminders:team_update": STAFF,
    "api-schema": SIGNED_IN,
    "api-docs": SIGNED_IN,
    "api-root": SIGNED_IN,
    "partner-list": STAFF,
    "partner-detail": PARTNER,
    "partner-terminate": PARTNER,
    "partner-suspend": PARTNER,
    "partner-reactivate": PARTNER,
    "partner-change-tier": PARTNER,
    "partner-timeline": PARTNER,
    "partner-tier-history": PARTNER,
    "partner-contacts": PARTNER,
    "partner-performance": PARTNER,
    "contact-list": STAFF,
    "contact-detail": PARTNER,
    "tag-list": STAFF,
    "tag-detail": STAFF,
    "category-list": STAFF,
    "category-detail": STAFF,
    "product-list": STAFF,
    "product-detail": STAFF,
    "salesline-list": STAFF,
    "salesline-detail": PARTNER,
    "salestarget-list": STAFF,
    "salestarget-detail": PARTNER,
    "salesimport-list": STAFF,
    "salesimport-detail": STAFF,
    "interaction-list": STAFF,
    "interaction-detail": PARTNER,
    "maintenancetask-list": STAFF,
    "maintenancetask-detail": PARTNER,
    "maintenancetask-complete": PARTNER,
    "maintenancetask-cancel": PARTNER,
    "maintenancetask-reassign": PARTNER,
    "tierpolicy-list": STAFF,
    "tierpolicy-detail": STAFF,
    "maintenance-timeliness": STAFF,
    "review-list": STAFF,
    "review-detail": PARTNER,
    "review-schedule": PARTNER,
    "review-record": PARTNER,
    "review-hold": PARTNER,
    "review-close": PARTNER,
    "review-cancel": PARTNER,
    "reviewaction-list": STAFF,
    "reviewaction-detail": PARTNER,
    "reviewaction-complete": PARTNER,
    "reviewaction-cancel": PARTNER,
    "review-completion": STAFF,
    "survey-list": STAFF,
    "survey-detail": PARTNER,
    "surveyresponse-list": STAFF,
    "surveyresponse-detail": PARTNER,
    "survey-results": STAFF,
    "issue-list": STAFF,
    "issue-detail": PARTNER,
    "issue-assign": PARTNER,
    "issue-start": PARTNER,
    "issue-wait": PARTNER,
    "issue-resolve": PARTNER,
    "issue-close": PARTNER,
    "issue-reopen": PARTNER,
    "issue-comments": PARTNER,
    "issue-suggested-articles": PARTNER,
    "issue-kpis": STAFF,
    "article-list": STAFF,
    "article-detail": STAFF,
    "tierrun-list": STAFF,
    "tierrun-detail": STAFF,
    "tierscore-list": STAFF,
    "tierscore-detail": PARTNER,
    "tierproposal-list": STAFF,
    "tierproposal-detail": PARTNER,
    "tierproposal-approve": PARTNER,
    "tierproposal-reject": PARTNER,
    "tierproposal-decide": STAFF,
    "rebateprogram-list": STAFF,
    "rebateprogram-detail": STAFF,
    "rebateprogram-approve": STAFF,
    "rebateprogram-retire": STAFF,
    "rebateprogram-simulate": STAFF,
    "rebaterule-list": STAFF,
    "rebaterule-detail": STAFF,
    "rebaterun-list": STAFF,
    "rebaterun-detail": STAFF,
    "rebatestatement-list": STAFF,
    "rebatestatement-detail": PARTNER,
    "rebatestatement-approve": PARTNER,
    "rebatestatement-approve-many": STAFF,
    "rebatestatement-payout": PARTNER,
    "rebateresult-list": STAFF,
    "rebateresult-detail": PARTNER,
    "settlementline-list": STAFF,
    "settlementline-detail": PARTNER,
    "dashboard-tiers": STAFF,
    "dashboard-team": STAFF,
    "dashboard-me": STAFF,
}
# Routes with a second URL argument besides `pk`, and the value the sweeps use.
STEP_ARGUMENTS = {
    "maintenance:task_action": {"action": "complete"},
    "reviews:review_step": {"step": "hold"},
    "reviews:action_step": {"step": "complete"},
    "support:issue_step": {"step": "start"},
    "incentives:result_lines": {"result": 1},
    "incentives:rule_edit": {"code": "VOL"},
}
STAFF_ROUTES_ON_AN_OBJECT = {
    "sales:category_update", "sales:product_update", "sales:sales_import_detail",
    "sales:sales_import_errors", "reminders:team_update", "surveys:question_update",
    "support:article_detail", "support:article_update", "tiers:run_detail",
    "incentives:program_detail", "incentives:program_edit", "incentives:program_approve",
    "incentives:program_retire", "incentives:rule_create", "incentives:rule_edit",
    "incentives:run_start", "incentives:what_if", "incentives:run_detail",
}  # fmt: skip
# API resources that are not a partner's rows (the catalogue, imports): not in the 404 sweep.
NOT_PARTNER_RESOURCES = ("/api/v1/tags", "/api/v1/categories", "/api/v1/products",
                         "/api/v1/sales-imports", "/api/v1/tier-policies",
                         "/api/v1/articles", "/api/v1/tier-runs", "/api/v1/rebate-programs",
                         "/api/v1/rebate-rules", "/api/v1/rebate-runs")  # fmt: skip


@pytest.fixture
def partner_rows(partner, settings, tmp_path):
    """One object of each kind that belongs to the partner, by the API's path prefix (or the
    route name)."""
    settings.MEDIA_ROOT = tmp_path
    line = SalesLineFactory(partner=partner)
    target = set_target(partner, year=2026, amount=Decimal("100"), set_by=None)
    interaction = log_interaction(
        partner,
        logged_by=partner.owner,
        kind="call",
        summary="季度沟通",
        attachments=[SimpleUploadedFile("a.pdf", b"%PDF-1.4 test")],
    )
    task = create_adhoc_task(
        partner, created_by=None, title="寄样品", due_on=date(2026, 12, 1), assignee=partner.owner
    )
    review = reviews.plan_review(partner, quarter=Quarter(2026, 4), planned_by=None)
    review = reviews.hold_review(review, held_by=partner.owner, held_on=date(2026, 11, 1))
    reviews.add_attachments(
        review, uploaded_by=None, uploads=[SimpleUploadedFile("m.pdf", b"%PDF-1.4 minutes")]
    )
    action = reviews.add_action(
        review, created_by=None, title="提交促销方案", due_on=date(2026, 12, 5),
        owner_user=partner.owner,
    )  # fmt: skip
    contact = partner.contacts.get()
    contact.email = "chen@example.com"
    contact.save()
    surveys.create_month_surveys(date(2026, 11, 1))
    survey = partner.surveys.get()
    surveys.send_survey(survey.pk, now=timezone.now())
    token = re.search(r"\?t=([\w-]+)", mail.outbox[-1].body)[1]
    response = surveys.submit_response(token, surveys.Answers(3, 8, "", {}))
    issue = issues.open_issue(
        partner, opened_by=None, title="到货延迟", category="delivery", description="未到货",
        attachments=[SimpleUploadedFile("p.pdf", b"%PDF-1.4 photo")],
    )  # fmt: skip
    run = tiers.run_evaluation(tiers.start_run(Quarter(2026, 4), started_by=None).pk)
    score = run.scores.get(partner=partner)
    proposal = TierProposal.objects.create(
        run=run, partner=partner, score=score, from_tier=partner.tier, to_tier="core",
        direction="up",
    )  # fmt: skip
    statement = _rebate_statement(partner)
    return {
        "incentives:statement_detail": statement.pk,
        "incentives:statement_print": statement.pk,
        "incentives:statement_payout": statement.pk,
        "incentives:result_lines": statement.pk,
        "/api/v1/rebate-statements": statement.pk,
        "/api/v1/rebate-results": statement.results.get().pk,
        "/api/v1/rebate-settlements": statement.settlement_lines.get().pk,
        "/api/v1/tier-scores": score.pk,
        "/api/v1/tier-proposals": proposal.pk,
        "/api/v1/issues": issue.pk,
        "support:issue_detail": issue.pk,
        "support:issue_step": issue.pk,
        "support:issue_write_up": issue.pk,
        "support:attachment_download": issue.attachments.get().pk,
        "/api/v1/surveys": survey.pk,
        "/api/v1/survey-responses": response.pk,
        "surveys:survey_resend": survey.pk,
        "/api/v1/reviews": review.pk,
        "/api/v1/review-actions": action.pk,
        "reviews:review_detail": review.pk,
        "reviews:review_step": review.pk,
        "reviews:action_create": review.pk,
        "reviews:action_step": action.pk,
        "reviews:attachment_download": review.attachments.get().pk,
        "/api/v1/contacts": partner.contacts.get().pk,
        "/api/v1/interactions": interaction.pk,
        "/api/v1/maintenance-tasks": task.pk,
        "maintenance:interaction_detail": interaction.pk,
        "maintenance:attachment_download": interaction.attachments.get().pk,
        "maintenance:task_action": task.pk,
        "/api/v1/sales-lines": line.pk,
        "/api/v1/sales-targets": target.pk,
        "/api/v1/partners": partner.pk,
    }


def _rebate_statement(partner):
    """A final 2025-Q1 statement of the partner, from an approved program."""
    from incentives import services as rebates
    from incentives.periods import RebatePeriod
    from tests.factories import UserFactory

    maker, checker = UserFactory(role="sales_vp"), UserFactory(role="sales_vp")
    SalesLineFactory(partner=partner, date=date(2025, 2, 1), net_amount=Decimal("1000.00"))
    program = rebates.create_program(
        name="返利", period_start=date(2025, 1, 1), period_end=date(2025, 12, 31),
        created_by=maker,
    )  # fmt: skip
    rebates.save_rule(program, {"code": "VOL", "kind": "flat", "period_type": "quarter",
                                "valid_from": "2025-01-01", "valid_to": "2025-12-31",
                                "rate_percent": "1"}, saved_by=maker)  # fmt: skip
    rebates.approve_program(program, approved_by=checker)
    run = rebates.start_run(program, RebatePeriod.parse("2025-Q1"), kind="final",
                            started_by=checker)  # fmt: skip
    rebates.run_rebates(run.pk)
    statement = run.statements.get(partner=partner)
    rebates.approve_statements([statement], approved_by=checker)
    return statement


def _route_names(resolver: URLResolver, namespace: str = "") -> set[str]:
    names = set()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # the admin site: superusers and staff flag only, tested apart
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _route_names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}{entry.name}")
    return names


def test_every_route_is_in_the_access_table():
    routes = _route_names(get_resolver())
    routes = {name for name in routes if not name.endswith("-format-suffix")}
    assert routes - ROUTES.keys() == set(), "add the new routes to ROUTES with their access"
    assert ROUTES.keys() - routes == set(), "ROUTES lists routes that no longer exist"


def _partner_urls(partner, rows):
    for name, access in ROUTES.items():
        if access == UNDER_PARTNER:
            kwargs = {"pk": rows[name], **STEP_ARGUMENTS.get(name, {})}
            yield name, reverse(name, kwargs=kwargs)
    args = {"pk": partner.pk}
    contact_args = {"pk": partner.pk, "contact_pk": rows["/api/v1/contacts"]}
    for name, access in ROUTES.items():
        if access != PARTNER:
            continue
        if name.startswith("partners:contact_") and name != "partners:contact_create":
            yield name, reverse(name, kwargs=contact_args)
        elif name.startswith("contact-"):
            yield name, reverse(name, kwargs={"pk": rows["/api/v1/contacts"]})
        elif name.startswith("salesline-"):
            yield name, reverse(name, kwargs={"pk": rows["/api/v1/sales-lines"]})
        elif name.startswith("salestarget-"):
            yield name, reverse(name, kwargs={"pk": rows["/api/v1/sales-targets"]})
        elif name.startswith("interaction-"):
            yield name, reverse(name, kwargs={"pk": rows["/api/v1/interactions"]})
        elif name.startswith("maintenancetask-"):
            yield name, reverse(name, kwargs={"pk": rows["/api/v1/maintenance-tasks"]})
        elif name.startswith("review-"):
            yield name, reverse(name, kwargs={"pk": rows["/api/v1/reviews"]})
        elif name.startswith("tierscore-"):
            yield name, reverse(name, kwargs={"pk": rows["/api/v1/tier-scores"]})
        elif name.startswith("tierproposal-"):
            yield name, reverse(name, kwargs={"pk": rows["/api/v1/tier-proposals"]})
        elif name.startswith("issue-"):
            yield name, reverse(name, kwargs={"pk": rows["/api/v1/issues"]})
        elif name.startswith("survey-"):
            yield name, reverse(name, kwargs={"pk": rows["/api/v1/surveys"]})
        elif name.startswith("surveyresponse-"):
            yield name, reverse(name, kwargs={"pk": rows["/api/v1/survey-responses"]})
        elif name.startswith("rebatestatement-"):
            yield name, reverse(name, kwargs={"pk": rows["/api/v1/rebate-statements"]})
        elif name.startswith("rebateresult-"):
            yield name, reverse(name, kwargs={"pk": rows["/api/v1/rebate-results"]})
        elif name.startswith("settlementline-"):
            yield name, reverse(name, kwargs={"pk": rows["/api/v1/rebate-settlements"]})
        elif name.startswith("reviewaction-"):
            yield name, reverse(name, kwargs={"pk": rows["/api/v1/review-actions"]})
        else:
            yield name, reverse(name, kwargs=args)


@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_404_on_every_partner_route(as_user, outsider, partner_rows, partner, method):
    client = as_user(outsider)
    for name, url in _partner_urls(partner, partner_rows):
        response = getattr(client, method)(url)
        assert response.status_code in (404, 405), (name, method, response.status_code)
        if response.status_code == 405:  # this route has no such method
            continue
        assert response.status_code == 404


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete", "post"])
def test_outsider_gets_404_from_every_api_operation_on_a_partner(
    as_api_user, outsider, partner_rows, method
):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    client = as_api_user(outsider)
    checked = 0
    for path, operations in schema["paths"].items():
        if "{id}" not in path or method not in operations or path.startswith(NOT_PARTNER_RESOURCES):
            continue
        object_id = next(pk for prefix, pk in partner_rows.items() if path.startswith(prefix))
        response = getattr(client, method)(re.sub(r"\{id\}", str(object_id), path), {})
        assert response.status_code == 404, (method, path, response.status_code)
        checked += 1
    assert checked > 0


def test_api_operations_are_all_known_routes():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    prefixes = {"/api/v1/partners/", "/api/v1/contacts/", "/api/v1/tags/", "/api/v1/categories/",
                "/api/v1/products/", "/api/v1/sales-lines/", "/api/v1/sales-targets/",
                "/api/v1/sales-imports/", "/api/v1/interactions/", "/api/v1/maintenance-tasks/",
                "/api/v1/tier-policies/", "/api/v1/maintenance-timeliness/", "/api/v1/reviews/",
                "/api/v1/review-actions/", "/api/v1/review-completion/", "/api/v1/surveys/",
                "/api/v1/survey-responses/", "/api/v1/survey-results/",
                "/api/v1/issues/", "/api/v1/articles/", "/api/v1/issue-kpis/",
                "/api/v1/tier-runs/", "/api/v1/tier-scores/",
                "/api/v1/tier-proposals/", "/api/v1/rebate-programs/", "/api/v1/rebate-rules/",
                "/api/v1/rebate-runs/", "/api/v1/rebate-statements/", "/api/v1/rebate-results/",
                "/api/v1/rebate-settlements/", "/api/v1/dashboards/"}  # fmt: skip
    for path in schema["paths"]:
        assert any(path.startswith(prefix) for prefix in prefixes), path


def test_anonymous_is_sent_to_login_from_staff_pages(client, partner):
    for name, access in ROUTES.items():
        if access not in (STAFF, PARTNER, UNDER_PARTNER) or "-" in name:
            continue
        kwargs = {"pk": 1} if name in STAFF_ROUTES_ON_AN_OBJECT or access == UNDER_PARTNER else {}
        kwargs.update(STEP_ARGUMENTS.get(name, {}))
        if access == PARTNER:
            kwargs = {"pk": partner.pk}
            if name in ("partners:contact_update", "partners:contact_delete"):
                kwargs["contact_pk"] = ContactFactory(partner=partner).pk
        if name == "partners:partner_export":
            kwargs = {"file_format": "csv"}
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


def test_anonymous_gets_401_or_403_from_the_api(client):
    for url in ["/api/v1/partners/", "/api/v1/contacts/", "/api/v1/tags/", "/api/schema/"]:
        assert client.get(url).status_code in (401, 403), url


def test_the_browsable_api_lists_no_other_portfolio_s_rows_in_its_filter_forms(
    as_user, outsider, partner_rows, partner
):
    """The HTML API renders each list's filter form: its choices follow the row rule too."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    client = as_user(outsider)
    contact = partner.contacts.get().name
    checked = 0
    for path, operations in schema["paths"].items():
        if "{" in path or "get" not in operations:
            continue
        response = client.get(path, HTTP_ACCEPT="text/html")
        if response.status_code != 200:
            continue
        page = response.content.decode()
        assert partner.legal_name not in page, path
        assert contact not in page, path
        checked += 1
    assert checked > 5
