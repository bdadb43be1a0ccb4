"""The tier engine's pages and API: who sees what, who decides, the explanations."""

from datetime import date

import pytest
from django.urls import reverse

from partners.choices import Tier
from partners.models import Partner
from tiers.choices import ProposalStatus
from tiers.models import TierProposal

from .conftest import at, evaluate
from .test_runs import star


@pytest.fixture
def evaluated(manager, outsider, time_machine):
    time_machine.move_to(at(date(2026, 10, 2)))
    mine = star(manager)
    theirs = star(outsider, tier=Tier.REGULAR)
    run = evaluate()
    return run, mine, theirs


def test_a_manager_sees_their_partners_proposals_with_the_reasons(evaluated, manager, as_user):
    _run, mine, theirs = evaluated
    page = as_user(manager).get(reverse("tiers:proposal_list")).content.decode()
    assert mine.legal_name in page
    assert theirs.legal_name not in page
    score = TierProposal.objects.get(partner=mine).score.score
    assert f'<td class="text-end">{score}</td>' in page
    assert 'id="decide-submit"' not in page  # managers do not decide


def test_the_vp_decides_in_bulk_from_the_list(evaluated, vp, as_user):
    run, mine, theirs = evaluated
    ids = list(run.tier_proposals.values_list("pk", flat=True))
    response = as_user(vp).post(
        reverse("tiers:proposal_decide"),
        {"proposal": ids, "decision": "approve", "comment": "同意", "effective_on": "2026-10-02"},
    )
    assert response.status_code == 302
    assert set(
        Partner.objects.filter(pk__in=[mine.pk, theirs.pk]).values_list("tier", flat=True)
    ) == {Tier.CORE}
    assert set(TierProposal.objects.values_list("status", flat=True)) == {ProposalStatus.APPLIED}


def test_a_manager_cannot_decide(evaluated, manager, as_user):
    run, mine, _theirs = evaluated
    proposal = run.tier_proposals.get(partner=mine)
    response = as_user(manager).post(
        reverse("tiers:proposal_decide"), {"proposal": [proposal.pk], "decision": "approve"}
    )
    assert response.status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.OPEN


def test_a_manager_cannot_decide_another_portfolio_s_proposal(evaluated, manager, as_user):
    run, _mine, theirs = evaluated
    proposal = run.tier_proposals.get(partner=theirs)
    assert (
        as_user(manager)
        .post(reverse("tiers:proposal_decide"), {"proposal": [proposal.pk], "decision": "reject"})
        .status_code
        == 403
    )


def test_the_run_page_shows_progress_and_the_summary(evaluated, vp, as_user):
    run, _mine, _theirs = evaluated
    client = as_user(vp)
    page = client.get(run.get_absolute_url()).content.decode()
    assert 'id="moves-by-tier"' in page
    partial = client.get(run.get_absolute_url(), HTTP_HX_REQUEST="true")
    assert 'id="run-status"' in partial.content.decode()
    assert "<html" not in partial.content.decode()


def test_only_the_vp_starts_a_run(manager, vp, as_user, db, django_capture_on_commit_callbacks):
    assert (
        as_user(manager).post(reverse("tiers:run_start"), {"quarter": "2026Q4"}).status_code == 403
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = as_user(vp).post(reverse("tiers:run_start"), {"quarter": "2026Q4"})
    assert response.status_code == 302
    assert len(callbacks) == 1  # the Celery task, queued after commit


def test_the_api_lists_scores_and_proposals_within_the_row_rule(evaluated, manager, as_api_user):
    _run, mine, _theirs = evaluated
    client = as_api_user(manager)
    scores = client.get("/api/v1/tier-scores/").json()["results"]
    assert [row["partner"] for row in scores] == [mine.pk]
    assert scores[0]["criteria"]["net_sales"]["points"] == "100.00"
    proposals = client.get("/api/v1/tier-proposals/").json()["results"]
    assert [row["partner"] for row in proposals] == [mine.pk]


def test_the_api_approves_rejects_and_decides(evaluated, vp, manager, as_api_user):
    run, mine, theirs = evaluated
    mine_proposal = run.tier_proposals.get(partner=mine)
    theirs_proposal = run.tier_proposals.get(partner=theirs)
    assert (
        as_api_user(manager)
        .post(f"/api/v1/tier-proposals/{mine_proposal.pk}/approve/", {})
        .status_code
        == 403
    )
    client = as_api_user(vp)
    rejected = client.post(f"/api/v1/tier-proposals/{mine_proposal.pk}/reject/", {"comment": ""})
    assert rejected.status_code == 400
    decided = client.post(
        "/api/v1/tier-proposals/decide/",
        {"ids": [mine_proposal.pk, theirs_proposal.pk], "decision": "reject", "comment": "再看看"},
        format="json",
    )
    assert decided.status_code == 200
    assert {row["status"] for row in decided.json()} == {"rejected"}
    again = client.post(f"/api/v1/tier-proposals/{mine_proposal.pk}/approve/", {})
    assert again.status_code == 400


def test_the_api_starts_a_run_for_the_vp_only(
    manager, vp, as_api_user, db, django_capture_on_commit_callbacks
):
    assert as_api_user(manager).post("/api/v1/tier-runs/", {"period": "2026Q4"}).status_code == 403
    with django_capture_on_commit_callbacks(execute=False):
        created = as_api_user(vp).post("/api/v1/tier-runs/", {"period": "2026Q4"})
    assert created.status_code == 201
    assert created.json()["status"] == "queued"
    assert as_api_user(vp).post("/api/v1/tier-runs/", {"period": "2026Q9"}).status_code == 400


def test_the_proposal_list_costs_a_fixed_number_of_queries(
    manager, vp, as_user, time_machine, django_assert_max_num_queries
):
    time_machine.move_to(at(date(2026, 10, 2)))
    for _ in range(6):
        star(manager)
    evaluate()
    client = as_user(vp)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("tiers:proposal_list")).content.decode()
    assert page.count('name="proposal"') == 6
