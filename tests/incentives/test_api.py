"""The rebate API: programs and rule versions, runs, and statements with their results,
settlement and payout, within the row rule (a manager reads only their partners')."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from channelhub.api.fields import Money
from incentives import services
from incentives.choices import ProgramStatus
from incentives.models import (
    Payout,
    RebateProgram,
    RebateResult,
    RebateRule,
    RebateRun,
    RebateStatement,
    SettlementLine,
)
from partners.models import Partner
from tests.factories import PartnerFactory, UserFactory

from .conftest import FLAT, TIERED, move_to_a_failed_run, sell
from .test_runs import run_final

PROGRAMS = "/api/v1/rebate-programs/"
RULES = "/api/v1/rebate-rules/"
RUNS = "/api/v1/rebate-runs/"
STATEMENTS = "/api/v1/rebate-statements/"
RESULTS = "/api/v1/rebate-results/"
SETTLEMENTS = "/api/v1/rebate-settlements/"


def rows(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def api(as_api_user):
    """An API client for a user, in English (the messages compared below)."""

    def login(user):
        client = as_api_user(user)
        client.credentials(HTTP_ACCEPT_LANGUAGE="en")
        return client

    return login


@pytest.fixture
def other_vp(db):
    return UserFactory(username="vp2", role="sales_vp")


@pytest.fixture
def computed(approved_program, partner, outsider, category, vp):
    """Q1 2025 computed: the manager's partner sold 60 000 (2 400 of rebate), the outsider's
    partner 20 000 (600)."""
    theirs = Partner.objects.get(owner=outsider)
    sell(partner, category, "60000.00")
    sell(theirs, category, "20000.00")
    run = run_final(approved_program, vp)
    mine = RebateStatement.objects.get(run=run, partner=partner)
    other = RebateStatement.objects.get(run=run, partner=theirs)
    return run, mine, other


# --- Programs ----------------------------------------------------------------------------


def test_a_vp_drafts_a_program_and_a_manager_only_reads(api, vp, manager):
    new = {"name": " 2026 返利 ", "period_start": "2026-01-01", "period_end": "2026-12-31"}
    assert api(manager).post(PROGRAMS, new, format="json").status_code == 403
    created = api(vp).post(PROGRAMS, {**new, "status": "approved"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["status"], body["rules"]) == ("2026 返利", "draft", [])
    assert body["created_by"] == body["updated_by"] == vp.pk
    assert [row["id"] for row in rows(api(manager).get(PROGRAMS))] == [body["id"]]
    backwards = {**new, "period_end": "2025-12-31"}
    refused = api(vp).post(PROGRAMS, backwards, format="json")
    assert refused.status_code == 400
    assert "period_end" in refused.json()


def test_a_program_shows_its_current_rules(api, approved_program, manager, vp):
    services.save_rule(approved_program, {**FLAT, "rate_percent": "2"}, saved_by=vp)
    body = api(manager).get(f"{PROGRAMS}{approved_program.pk}/").json()
    assert body["status"] == "draft"  # the rule change needs approval again
    rules = {rule["code"]: rule for rule in body["rules"]}
    assert set(rules) == {"VOL", "FLAT"}
    assert (rules["FLAT"]["version"], rules["FLAT"]["is_frozen"]) == (2, False)
    assert rules["FLAT"]["spec"]["rate_percent"] == "2"
    assert (rules["VOL"]["version"], rules["VOL"]["is_frozen"]) == (1, True)


def test_editing_a_program_follows_its_status(api, approved_program, vp, other_vp):
    url = f"{PROGRAMS}{approved_program.pk}/"
    client = api(vp)
    renamed = client.patch(url, {"name": "2025 返利（修订）"}, format="json")
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["status"]) == ("2025 返利（修订）", "approved")
    moved = client.patch(url, {"period_end": "2025-06-30"}, format="json")
    assert moved.status_code == 400
    assert "period_end" in moved.json()

    draft = services.create_program(
        name="草稿", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31),
        created_by=other_vp,
    )  # fmt: skip
    changed = client.put(
        f"{PROGRAMS}{draft.pk}/",
        {"name": "草稿", "description": "新", "period_start": "2026-04-01",
         "period_end": "2026-12-31"},
        format="json",
    )  # fmt: skip
    assert changed.status_code == 200
    draft.refresh_from_db()
    assert (draft.period_start, draft.description, draft.updated_by) == (
        date(2026, 4, 1), "新", vp,
    )  # fmt: skip
    services.retire_program(draft, retired_by=vp)
    assert client.patch(f"{PROGRAMS}{draft.pk}/", {"name": "x"}, format="json").status_code == 400


def test_approval_is_maker_checker(api, vp, other_vp, manager):
    program = services.create_program(
        name="2026", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31), created_by=vp
    )
    url = f"{PROGRAMS}{program.pk}/approve/"
    assert api(other_vp).post(url).json() == {
        "non_field_errors": ["A program needs at least one rule."]
    }
    services.save_rule(program, FLAT, saved_by=vp)
    assert api(manager).post(url).status_code == 403
    own = api(vp).post(url)
    assert own.status_code == 400
    assert own.json() == {
        "non_field_errors": ["Someone other than its last editor must approve the program."]
    }
    approved = api(other_vp).post(url)
    assert approved.status_code == 200
    body = approved.json()
    assert (body["status"], body["approved_by"]) == ("approved", other_vp.pk)
    assert [rule["is_frozen"] for rule in body["rules"]] == [True]


def test_retiring(api, approved_program, vp, manager):
    url = f"{PROGRAMS}{approved_program.pk}/retire/"
    assert api(manager).post(url).status_code == 403
    assert api(vp).post(url).json()["status"] == "retired"
    approved_program.refresh_from_db()
    assert approved_program.status == ProgramStatus.RETIRED


def test_programs_are_not_deleted(api, approved_program, vp):
    assert api(vp).delete(f"{PROGRAMS}{approved_program.pk}/").status_code in (403, 405)
    assert RebateProgram.objects.filter(pk=approved_program.pk).exists()


# --- What if ---------------------------------------------------------------------------------


def test_simulate_answers_figures_as_strings_and_writes_nothing(
    api, approved_program, partner, category, vp, manager
):
    sell(partner, category, "60000.00")
    services.save_rule(approved_program, {**FLAT, "rate_percent": "2"}, saved_by=vp)
    url = f"{PROGRAMS}{approved_program.pk}/simulate/"
    assert api(manager).post(url, {"period": "2025-Q1"}, format="json").status_code == 403
    counts = [model.objects.count() for model in (RebateRun, RebateStatement, RebateRule)]
    answer = api(vp).post(url, {"period": "2025-Q1", "compare_with": None}, format="json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    # VOL 3 % of 60 000 = 1 800, FLAT now 2 % = 1 200 (was 1 % = 600 as approved)
    assert (body["period"], body["total"], body["compared_total"], body["delta"]) == (
        "2025-Q1", "3000.00", "2400.00", "600.00",
    )  # fmt: skip
    regular = next(row for row in body["by_tier"] if row["tier"] == "regular")
    assert (regular["total"], regular["compared"], regular["delta"]) == (
        "3000.00", "2400.00", "600.00",
    )  # fmt: skip
    assert [(row["partner_id"], row["delta"]) for row in body["partners"]] == [
        (partner.pk, "600.00")
    ]
    assert counts == [model.objects.count() for model in (RebateRun, RebateStatement, RebateRule)]
    bad = api(vp).post(url, {"period": "2025-Q5"}, format="json")
    assert bad.status_code == 400
    assert "period" in bad.json()
    not_over = api(vp).post(url, {"period": "2099-Q1"}, format="json")
    assert not_over.status_code == 400
    assert "period" in not_over.json()


def test_simulate_compares_with_another_program(api, approved_program, vp, partner,
                                                category):  # fmt: skip
    sell(partner, category, "60000.00")
    other = services.create_program(
        name="对比", period_start=date(2025, 1, 1), period_end=date(2025, 12, 31), created_by=vp
    )
    services.save_rule(other, FLAT, saved_by=vp)  # never approved: nothing to compare with
    answer = api(vp).post(
        f"{PROGRAMS}{approved_program.pk}/simulate/",
        {"period": "2025-Q1", "compare_with": other.pk}, format="json",
    )  # fmt: skip
    assert answer.status_code == 200, answer.content
    assert (answer.json()["total"], answer.json()["compared_total"]) == ("2400.00", "0.00")


def test_money_is_rounded_half_up_to_cents():
    field = Money()
    assert field.to_representation(Decimal("0.125")) == "0.13"
    assert field.to_representation(Decimal("-0.125")) == "-0.13"
    assert field.to_representation(Decimal("2")) == "2.00"


# --- Rules -------------------------------------------------------------------------------------


def test_a_rule_is_saved_through_the_service(api, approved_program, vp, manager):
    new = {"program": approved_program.pk, "spec": {**FLAT, "code": "NEW"}}
    assert api(manager).post(RULES, new, format="json").status_code == 403
    created = api(vp).post(RULES, new, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["code"], body["version"], body["is_current"], body["created_by"]) == (
        "NEW", 1, True, vp.pk,
    )  # fmt: skip
    approved_program.refresh_from_db()
    assert approved_program.status == ProgramStatus.DRAFT  # a change needs approval
    edited = api(vp).post(
        RULES, {"program": approved_program.pk, "spec": {**FLAT, "rate_percent": "3"}},
        format="json",
    )  # fmt: skip
    assert (edited.json()["code"], edited.json()["version"]) == ("FLAT", 2)  # FLAT v1 was frozen


def test_a_bad_rule_answers_400_naming_the_field(api, approved_program, vp):
    spec = {**TIERED, "tiers": [["500", "1"], ["100", "2"]]}
    refused = api(vp).post(RULES, {"program": approved_program.pk, "spec": spec}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"spec": {"tiers": ["tiers: thresholds must be strictly ascending"]}}
    not_an_object = api(vp).post(
        RULES, {"program": approved_program.pk, "spec": ["x"]}, format="json"
    )
    assert not_an_object.status_code == 400
    assert "spec" in not_an_object.json()
    services.retire_program(approved_program, retired_by=vp)
    retired = api(vp).post(RULES, {"program": approved_program.pk, "spec": FLAT}, format="json")
    assert retired.json() == {"non_field_errors": ["A retired program cannot change."]}


def test_rule_versions_are_listed_and_filtered(api, approved_program, vp, manager):
    services.save_rule(approved_program, {**FLAT, "rate_percent": "2"}, saved_by=vp)
    client = api(manager)
    everything = rows(client.get(RULES, {"program": approved_program.pk}))
    assert sorted((row["code"], row["version"]) for row in everything) == [
        ("FLAT", 1), ("FLAT", 2), ("VOL", 1),
    ]  # fmt: skip
    flat = rows(client.get(RULES, {"code": "FLAT", "current": "true"}))
    assert [(row["version"], row["spec"]["rate_percent"]) for row in flat] == [(2, "2")]
    assert client.get(f"{RULES}{flat[0]['id']}/").json()["is_frozen"] is False


# --- Runs ----------------------------------------------------------------------------------------


def test_a_vp_starts_a_run_and_a_manager_sees_only_its_progress(
    api, approved_program, partner, category, vp, manager, celery_eager,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    sell(partner, category, "60000.00")
    new = {"program": approved_program.pk, "period": "2025-Q1", "kind": "final"}
    assert api(manager).post(RUNS, new, format="json").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        created = api(vp).post(RUNS, new, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "queued"
    url = f"{RUNS}{created.json()['id']}/"
    seen = api(vp).get(url).json()
    assert (seen["status"], seen["total"], seen["done"], seen["percent_done"], seen["amount"]) == (
        "done", 1, 1, 100, "2400.00",
    )  # fmt: skip
    assert seen["created_by"] == vp.pk
    progress = api(manager).get(url).json()
    assert (progress["total"], progress["done"], progress["amount"]) == (None, None, None)
    assert (progress["status"], progress["percent_done"]) == ("done", 100)
    assert [row["id"] for row in rows(api(manager).get(RUNS))] == [seen["id"]]


def test_a_run_s_errors_answer_400(api, approved_program, vp):
    client = api(vp)
    base = {"program": approved_program.pk, "kind": "final"}
    bad_period = client.post(RUNS, {**base, "period": "2025Q1"}, format="json")
    assert bad_period.status_code == 400
    assert "period" in bad_period.json()
    outside = client.post(RUNS, {**base, "period": "2024-Q4"}, format="json")
    assert outside.json() == {"period": ["The period is outside the program's dates."]}
    accrual = {**base, "kind": "accrual", "period": "2025-Q1", "as_of": "2025-05-01"}
    assert "as_of" in client.post(RUNS, accrual, format="json").json()
    services.save_rule(approved_program, {**FLAT, "rate_percent": "2"}, saved_by=vp)
    draft = client.post(RUNS, {**base, "period": "2025-Q1"}, format="json")
    assert draft.json() == {"non_field_errors": ["Only an approved program can be run."]}
    assert not RebateRun.objects.exists()


# --- Statements ----------------------------------------------------------------------------


def test_a_manager_reads_only_their_partners_statements(api, computed, manager, vp):
    run, mine, other = computed
    listed = rows(api(manager).get(STATEMENTS))
    assert [row["id"] for row in listed] == [mine.pk]
    body = listed[0]
    assert (body["amount"], body["to_settle"], body["status"], body["kind"]) == (
        "2400.00", "2400.00", "draft", "final",
    )  # fmt: skip
    assert (body["payout_status"], body["paid_on"], body["reference"]) == ("nothing", None, None)
    results = {result["rule_code"]: result for result in body["results"]}
    assert results["VOL"]["amount"] == "1800.00"
    assert (results["VOL"]["rule_version"], results["VOL"]["reason"]) == (1, "ok")
    assert results["VOL"]["lines"] == 1
    assert results["VOL"]["explanation"]["rate_percent"] == "3"
    assert body["settlement_lines"] == []
    assert api(manager).get(f"{STATEMENTS}{other.pk}/").status_code == 404
    everything = rows(api(vp).get(STATEMENTS, {"run": run.pk}))
    assert {row["id"] for row in everything} == {mine.pk, other.pk}


def test_statements_are_filtered(api, computed, vp, partner):
    run, mine, _other = computed
    client = api(vp)
    assert [row["id"] for row in rows(client.get(STATEMENTS, {"partner": partner.pk}))] == [mine.pk]
    assert len(rows(client.get(STATEMENTS, {"period": "2025-Q1", "kind": "final"}))) == 2
    assert rows(client.get(STATEMENTS, {"status": "approved"})) == []
    assert rows(client.get(STATEMENTS, {"period": "2025-Q2"})) == []
    program = run.program_id
    assert len(rows(client.get(STATEMENTS, {"program": program, "status": "draft"}))) == 2


def test_another_manager_s_statement_answers_404_even_to_act_on(api, computed, outsider):
    _run, mine, _other = computed
    client = api(outsider)
    for url in (f"{STATEMENTS}{mine.pk}/approve/", f"{STATEMENTS}{mine.pk}/payout/"):
        assert client.post(url, {}).status_code == 404, url
    assert client.get(f"{STATEMENTS}{mine.pk}/").status_code == 404


def test_a_vp_approves_a_statement_which_settles_it(api, computed, vp, manager):
    _run, mine, _other = computed
    url = f"{STATEMENTS}{mine.pk}/approve/"
    assert api(manager).post(url).status_code == 403
    approved = api(vp).post(url)
    assert approved.status_code == 200, approved.content
    body = approved.json()
    assert (body["status"], body["approved_by"], body["payout_status"]) == (
        "approved", vp.pk, "pending",
    )  # fmt: skip
    assert sorted((line["rule_code"], line["kind"], line["amount"])
                  for line in body["settlement_lines"]) == [
        ("FLAT", "payout", "600.00"), ("VOL", "payout", "1800.00"),
    ]  # fmt: skip
    again = api(vp).post(url)
    assert again.json() == {"non_field_errors": ["This statement is already approved."]}


def test_approving_a_statement_of_a_failed_run_answers_400(api, computed, vp):
    run, mine, _other = computed
    move_to_a_failed_run(mine)
    refused = api(vp).post(f"{STATEMENTS}{mine.pk}/approve/")
    assert refused.status_code == 400
    assert "non_field_errors" in refused.json()


def test_bulk_approval_by_ids_or_by_filters(api, computed, vp, manager):
    run, mine, other = computed
    bulk = f"{STATEMENTS}approve/"
    assert api(manager).post(bulk, {"ids": [mine.pk]}, format="json").status_code == 403
    client = api(vp)
    assert client.post(bulk, {}, format="json").status_code == 400
    unknown = client.post(bulk, {"ids": [mine.pk, 0]}, format="json")
    assert unknown.json() == {"ids": ["Unknown statement."]}
    assert client.post(bulk, {"ids": [mine.pk]}, format="json").json() == {
        "count": 1, "total": "2400.00",
    }  # fmt: skip
    by_filter = client.post(bulk, {"run": run.pk, "period": "2025-Q1"}, format="json")
    assert by_filter.json() == {"count": 1, "total": "600.00"}  # the other one only
    assert client.post(bulk, {"run": run.pk}, format="json").json() == {
        "count": 0, "total": "0.00",
    }  # fmt: skip
    assert set(RebateStatement.objects.values_list("status", flat=True)) == {"approved"}
    assert client.post(bulk, {"kind": "nope"}, format="json").status_code == 400


def test_a_payout_is_recorded_once(api, computed, vp, manager):
    _run, mine, _other = computed
    url = f"{STATEMENTS}{mine.pk}/payout/"
    paid = {"paid_on": "2025-04-20", "reference": " PAY-001 "}
    assert api(vp).post(url, paid, format="json").json() == {
        "non_field_errors": ["Only an approved statement is paid."]
    }
    services.approve_statements([mine], approved_by=vp)
    assert api(manager).post(url, paid, format="json").status_code == 403
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    future = api(vp).post(url, {**paid, "paid_on": tomorrow}, format="json")
    assert future.json() == {"paid_on": ["The payment date cannot be in the future."]}
    assert api(vp).post(url, {"paid_on": "2025-04-20"}, format="json").status_code == 400
    recorded = api(vp).post(url, paid, format="json")
    assert recorded.status_code == 200, recorded.content
    body = recorded.json()
    assert (body["payout_status"], body["paid_on"], body["reference"]) == (
        "paid", "2025-04-20", "PAY-001",
    )  # fmt: skip
    assert api(vp).post(url, paid, format="json").status_code == 400
    assert Payout.objects.count() == 1
    read = api(manager).get(f"{STATEMENTS}{mine.pk}/").json()
    assert (read["payout_status"], read["reference"]) == ("paid", "PAY-001")


def test_statements_are_read_only(api, computed, vp):
    _run, mine, _other = computed
    client = api(vp)
    assert client.patch(f"{STATEMENTS}{mine.pk}/", {"amount": "1"}).status_code in (403, 405)
    assert client.delete(f"{STATEMENTS}{mine.pk}/").status_code in (403, 405)
    assert client.post(STATEMENTS, {}).status_code in (403, 405)
    mine.refresh_from_db()
    assert mine.amount == Decimal("2400.00")


@pytest.mark.parametrize("count", [2, 12])
def test_the_statement_list_costs_a_fixed_number_of_queries(
    api, approved_program, manager, vp, category, count, django_assert_max_num_queries
):
    partners = [PartnerFactory(owner=manager) for _ in range(count)]
    for partner in partners:
        sell(partner, category, "60000.00")
    run_final(approved_program, vp)
    services.approve_statements(list(RebateStatement.objects.all()), approved_by=vp)
    first = RebateStatement.objects.order_by("pk").first()
    Payout.objects.create(statement=first, paid_on=date(2025, 4, 1), reference="P",
                          recorded_by=vp)  # fmt: skip
    client = api(manager)
    # permissions (user, groups), role names, count, page, results with rules, settlement lines
    with django_assert_max_num_queries(7):
        listed = rows(client.get(STATEMENTS, {"page_size": 100}))
    assert len(listed) == count
    assert all(len(row["results"]) == 2 and len(row["settlement_lines"]) == 2 for row in listed)


# --- Results and settlement lines ----------------------------------------------------------


def test_results_of_visible_statements_only_with_filters(api, computed, manager, vp):
    _run, mine, other = computed
    client = api(manager)
    listed = rows(client.get(RESULTS))
    assert {row["statement"] for row in listed} == {mine.pk}
    assert {row["rule_code"] for row in listed} == {"VOL", "FLAT"}
    vol = rows(client.get(RESULTS, {"rule_code": "VOL"}))
    assert [(row["amount"], row["reason"], row["reason_label"]) for row in vol] == [
        ("1800.00", "ok", "Rebate earned")
    ]
    assert rows(client.get(RESULTS, {"statement": other.pk})) == []
    assert rows(client.get(RESULTS, {"reason": "below_minimum"})) == []
    theirs = RebateResult.objects.filter(statement=other).first()
    assert client.get(f"{RESULTS}{theirs.pk}/").status_code == 404
    assert len(rows(api(vp).get(RESULTS, {"statement": other.pk}))) == 2


def test_settlement_lines_of_visible_partners_only(api, computed, manager, vp, partner):
    _run, mine, other = computed
    services.approve_statements([mine, other], approved_by=vp)
    client = api(manager)
    listed = rows(client.get(SETTLEMENTS))
    assert {row["partner"] for row in listed} == {partner.pk}
    assert sorted(row["amount"] for row in listed) == ["1800.00", "600.00"]
    assert rows(client.get(SETTLEMENTS, {"kind": "clawback"})) == []
    assert len(rows(client.get(SETTLEMENTS, {"period": "2025-Q1", "kind": "payout"}))) == 2
    theirs = SettlementLine.objects.filter(statement=other).first()
    assert client.get(f"{SETTLEMENTS}{theirs.pk}/").status_code == 404
    assert len(rows(api(vp).get(SETTLEMENTS, {"program": mine.program_id}))) == 4


def test_readers_need_the_rebate_permissions(api, computed, partner_user, support):
    for user in (partner_user, support):
        client = api(user)
        for url in (PROGRAMS, RULES, RUNS, STATEMENTS, RESULTS, SETTLEMENTS):
            assert client.get(url).status_code == 403, (user, url)


def test_anonymous_gets_nothing(client, computed):
    for url in (PROGRAMS, RULES, RUNS, STATEMENTS, RESULTS, SETTLEMENTS):
        assert client.get(url).status_code in (401, 403), url


def test_program_list_costs_a_fixed_number_of_queries(
    api, approved_program, vp, manager, django_assert_max_num_queries
):
    for number in range(5):
        program = services.create_program(
            name=f"P{number}", period_start=date(2025, 1, 1), period_end=date(2025, 12, 31),
            created_by=vp,
        )  # fmt: skip
        services.save_rule(program, FLAT, saved_by=vp)
    # permissions (user, groups), count, page, current rules
    with django_assert_max_num_queries(5):
        listed = rows(api(manager).get(PROGRAMS))
    assert len(listed) == RebateProgram.objects.count() == 6
    assert all(row["rules"] for row in listed)


def test_the_browsable_api_renders_every_list_for_a_vp(as_user, computed, vp):
    client = as_user(vp)
    for url in (PROGRAMS, RULES, RUNS, STATEMENTS, RESULTS, SETTLEMENTS):
        assert client.get(url, HTTP_ACCEPT="text/html").status_code == 200, url
    statement = computed[1]
    for url in (f"{STATEMENTS}{statement.pk}/", f"{PROGRAMS}{statement.program_id}/"):
        assert client.get(url, HTTP_ACCEPT="text/html").status_code == 200, url
