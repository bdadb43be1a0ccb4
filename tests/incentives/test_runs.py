"""Runs, statements, approval and settlement (rebates.md §3–4) on the real database, and
the database's refusal to change what was approved."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from incentives import services
from incentives.choices import RunKind, SettlementKind, StatementStatus
from incentives.models import Payout, RebateResult, RebateRun, RebateStatement, SettlementLine
from incentives.periods import RebatePeriod
from tests.factories import CategoryFactory, PartnerFactory, UserFactory

from .conftest import TIERED, move_to_a_failed_run, sell

Q1 = RebatePeriod.parse("2025-Q1")


def run_final(program, vp, period=Q1):
    run = services.start_run(program, period, kind=RunKind.FINAL, started_by=vp)
    return services.run_rebates(run.pk)


def statement_of(partner, **filters):
    return RebateStatement.objects.filter(partner=partner, **filters).latest("pk")


@pytest.fixture
def partners(partner, category):
    """The manager's partner sells 60 000 in Q1; another partner sells nothing."""
    sell(partner, category, "60000.00")
    return partner, PartnerFactory(code="IDLE")


def test_a_final_run_writes_one_statement_per_partner_with_each_rules_result(
    approved_program, partners, vp
):
    busy, idle = partners
    run = run_final(approved_program, vp)
    assert (run.status, run.done, run.total) == ("done", 2, 2)
    statement = statement_of(busy)
    # VOL: 60 000 reaches 50 000 → 3 % of the whole base; FLAT 1 %; regular tier × 1.00
    assert statement.amount == Decimal("2400.00") == statement.to_settle
    results = {r.rule.code: r for r in statement.results.select_related("rule")}
    assert results["VOL"].amount == Decimal("1800.00")
    assert results["VOL"].explanation["thresholds"] == ["0.00", "10000.00", "50000.00"]
    assert results["VOL"].explanation["rate_percent"] == "3"
    assert results["VOL"].lines == 1
    assert results["VOL"].rule.version == 1
    nothing = statement_of(idle).results.get(rule__code="VOL")
    assert (nothing.amount, nothing.reason) == (Decimal("0.00"), "no_positive_sales")
    assert run.amount == Decimal("2400.00")


def test_a_run_is_a_task_queued_on_commit(approved_program, partners, vp, celery_eager,
                                          django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_run(approved_program, Q1, kind=RunKind.FINAL, started_by=vp)
    run.refresh_from_db()
    assert run.status == "done"


def test_only_approved_programs_run_and_final_runs_wait_for_the_periods_end(approved_program, vp):
    with pytest.raises(ValidationError):
        services.start_run(approved_program, RebatePeriod.parse("2026-Q4"),
                           kind=RunKind.FINAL, started_by=vp)  # fmt: skip
    services.save_rule(approved_program, {**TIERED, "tiers": [["0", "1"]]}, saved_by=vp)
    with pytest.raises(ValidationError):  # back to draft after the edit
        services.start_run(approved_program, Q1, kind=RunKind.FINAL, started_by=vp)


def test_an_accrual_ignores_lines_after_its_day(approved_program, partner, category, vp):
    sell(partner, category, "20000.00", day=date(2025, 1, 10))
    sell(partner, category, "40000.00", day=date(2025, 3, 10))
    run = services.start_run(approved_program, Q1, kind=RunKind.ACCRUAL, started_by=vp,
                             as_of=date(2025, 2, 28))  # fmt: skip
    services.run_rebates(run.pk)
    # 20 000: VOL 2 % = 400 (thresholds are not reduced for elapsed time), FLAT 200
    assert statement_of(partner).amount == Decimal("600.00")


def test_approval_settles_and_settling_twice_writes_nothing(approved_program, partners, vp):
    busy, _idle = partners
    run_final(approved_program, vp)
    statement = statement_of(busy)
    approved = services.approve_statements([statement], approved_by=vp)
    assert [s.pk for s in approved] == [statement.pk]
    lines = SettlementLine.objects.filter(partner=busy)
    assert sorted((line.rule_code, line.kind, line.amount) for line in lines) == [
        ("FLAT", SettlementKind.PAYOUT, Decimal("600.00")),
        ("VOL", SettlementKind.PAYOUT, Decimal("1800.00")),
    ]
    assert services.approve_statements([statement], approved_by=vp) == []
    run_final(approved_program, vp)  # the same figures again
    again = statement_of(busy, status=StatementStatus.DRAFT)
    assert again.to_settle == 0
    services.approve_statements([again], approved_by=vp)
    assert SettlementLine.objects.filter(partner=busy).count() == 2  # nothing new


def test_a_late_credit_note_is_clawed_back_and_approved_statements_stay(
    approved_program, partners, category, vp
):
    busy, _idle = partners
    run_final(approved_program, vp)
    first = statement_of(busy)
    services.approve_statements([first], approved_by=vp)
    sell(busy, category, "20000.00", day=date(2025, 3, 20), credit=True)  # 40 000 net now
    run_final(approved_program, vp)
    first.refresh_from_db()
    assert (first.status, first.amount) == (StatementStatus.APPROVED, Decimal("2400.00"))
    second = statement_of(busy, status=StatementStatus.DRAFT)
    # VOL: 40 000 → 2 % = 800 (was 1800); FLAT 400 (was 600)
    assert (second.amount, second.to_settle) == (Decimal("1200.00"), Decimal("-1200.00"))
    services.approve_statements([second], approved_by=vp)
    clawbacks = SettlementLine.objects.filter(statement=second).order_by("rule_code")
    assert [(line.rule_code, line.kind, line.amount) for line in clawbacks] == [
        ("FLAT", SettlementKind.CLAWBACK, Decimal("-200.00")),
        ("VOL", SettlementKind.CLAWBACK, Decimal("-1000.00")),
    ]
    # the settlement lines add up to the amount now, rule by rule
    total = sum(SettlementLine.objects.filter(partner=busy).values_list("amount", flat=True))
    assert total == second.amount


def test_a_rerun_replaces_only_unapproved_statements(approved_program, partners, vp):
    busy, idle = partners
    run_final(approved_program, vp)
    services.approve_statements([statement_of(busy)], approved_by=vp)
    run_final(approved_program, vp)
    assert RebateStatement.objects.filter(partner=idle).count() == 1  # the draft replaced
    assert RebateStatement.objects.filter(partner=busy).count() == 2  # approved + new draft


def test_results_keep_the_rule_version_that_produced_them(approved_program, partners, vp):
    busy, _idle = partners
    run_final(approved_program, vp)
    first = statement_of(busy)
    services.approve_statements([first], approved_by=vp)
    services.save_rule(approved_program, {**TIERED, "tiers": [["0", "5"]]}, saved_by=vp)
    services.approve_program(approved_program, approved_by=UserFactory(role="sales_vp"))
    run_final(approved_program, vp)
    second = statement_of(busy, status=StatementStatus.DRAFT)
    versions = lambda s: {r.rule.code: r.rule.version for r in s.results.select_related("rule")}  # noqa: E731
    assert versions(first) == {"VOL": 1, "FLAT": 1}
    assert versions(second) == {"VOL": 2, "FLAT": 1}
    assert second.results.get(rule__code="VOL").amount == Decimal("3000.00")


def test_a_rule_settled_before_without_a_result_now_is_clawed_back(approved_program, partners, vp):
    busy, _idle = partners
    run_final(approved_program, vp)
    services.approve_statements([statement_of(busy)], approved_by=vp)
    statement = statement_of(busy)
    # a later run (of a program version without FLAT) has no FLAT result for the partner
    run = run_final(approved_program, vp)
    draft = statement_of(busy, status=StatementStatus.DRAFT)
    RebateResult.objects.filter(statement=draft, rule__code="FLAT").delete()
    services.approve_statements([draft], approved_by=vp)
    line = SettlementLine.objects.get(statement=draft)
    assert (line.rule_code, line.amount, line.kind) == ("FLAT", Decimal("-600.00"), "clawback")
    assert statement.status == StatementStatus.APPROVED
    assert run.status == "done"


def test_a_partner_settled_before_is_clawed_back_when_no_rule_is_computed_now(
    approved_program, partners, vp
):
    busy, _idle = partners
    run_final(approved_program, vp)
    services.approve_statements([statement_of(busy)], approved_by=vp)
    paid = sum(SettlementLine.objects.filter(partner=busy).values_list("amount", flat=True))
    assert paid > 0
    run = services.start_run(approved_program, Q1, kind=RunKind.FINAL, started_by=vp)
    RebateRun.objects.filter(pk=run.pk).update(rules=[])  # no rule evaluated for the period
    services.run_rebates(run.pk)
    draft = statement_of(busy, status=StatementStatus.DRAFT)
    assert (draft.amount, draft.to_settle, draft.results.count()) == (0, -paid, 0)
    assert not RebateStatement.objects.filter(run=run).exclude(partner=busy).exists()


def test_only_a_sales_vp_approves_and_only_statements_of_finished_runs(
    approved_program, partners, vp, manager
):
    busy, _idle = partners
    run_final(approved_program, vp)
    with pytest.raises(ValidationError):
        services.approve_statements([statement_of(busy)], approved_by=manager)
    move_to_a_failed_run(statement_of(busy))
    with pytest.raises(ValidationError):
        services.approve_statements([statement_of(busy)], approved_by=vp)


def test_bulk_approval_costs_the_same_queries_for_many_statements(
    approved_program, category, vp, django_assert_max_num_queries
):
    for _n in range(30):
        sell(PartnerFactory(), category, "12000.00")
    run_final(approved_program, vp)
    statements = list(RebateStatement.objects.all())
    with django_assert_max_num_queries(10):
        approved = services.approve_statements(statements, approved_by=vp)
    assert len(approved) == 30
    assert SettlementLine.objects.count() == 60


def test_a_payout_is_recorded_once(approved_program, partners, vp):
    busy, idle = partners
    run_final(approved_program, vp)
    statement = statement_of(busy)
    with pytest.raises(ValidationError):  # not approved yet
        services.record_payout(statement, paid_on=date(2025, 4, 10), reference="TT-1",
                               recorded_by=vp)  # fmt: skip
    services.approve_statements([statement, statement_of(idle)], approved_by=vp)
    assert statement_of(busy).payout_status == "pending"
    assert statement_of(idle).payout_status == "nothing"
    services.record_payout(statement, paid_on=date(2025, 4, 10), reference="TT-1", recorded_by=vp)
    assert statement_of(busy).payout_status == "paid"
    with pytest.raises(ValidationError):
        services.record_payout(statement, paid_on=date(2025, 4, 11), reference="TT-2",
                               recorded_by=vp)  # fmt: skip


def test_managers_see_only_their_partners_statements(approved_program, partners, vp, manager,
                                                     colleague):  # fmt: skip
    busy, idle = partners
    run_final(approved_program, vp)
    assert list(RebateStatement.objects.visible_to(manager).values_list("partner", flat=True)) == [
        busy.pk
    ]
    assert not RebateStatement.objects.visible_to(colleague).exists()
    assert RebateStatement.objects.visible_to(vp).count() == 2


class TestApprovedIsFinal:
    """The database refuses to change an approved statement, its results, its settlement
    lines and its payout, whatever the route."""

    @pytest.fixture
    def approved(self, approved_program, partners, vp):
        run_final(approved_program, vp)
        statement = statement_of(partners[0])
        services.approve_statements([statement], approved_by=vp)
        services.record_payout(statement, paid_on=date(2025, 4, 10), reference="TT-1",
                               recorded_by=vp)  # fmt: skip
        statement.refresh_from_db()
        return statement

    def refused(self, change):
        with pytest.raises(DatabaseError, match="never change"), transaction.atomic():
            change()

    def test_through_save_update_and_delete(self, approved):
        approved.amount = Decimal("1.00")
        self.refused(approved.save)
        self.refused(lambda: RebateStatement.objects.filter(pk=approved.pk).update(amount=1))
        self.refused(lambda: RebateStatement.objects.filter(pk=approved.pk).update(status="draft"))
        self.refused(lambda: RebateStatement.objects.filter(pk=approved.pk)._raw_delete("default"))
        self.refused(lambda: approved.results.update(amount=0))
        self.refused(lambda: approved.results.all().delete())
        self.refused(lambda: SettlementLine.objects.filter(statement=approved).update(amount=1))
        self.refused(lambda: SettlementLine.objects.filter(statement=approved).delete())
        self.refused(lambda: Payout.objects.filter(statement=approved).update(reference="X"))
        self.refused(lambda: Payout.objects.filter(statement=approved).delete())

    def test_through_raw_sql(self, approved):
        def raw(sql):
            def execute():
                with connection.cursor() as cursor:
                    cursor.execute(sql, [approved.pk])

            return execute

        self.refused(raw("UPDATE incentives_rebatestatement SET amount = 0 WHERE id = %s"))
        self.refused(raw("DELETE FROM incentives_rebatestatement WHERE id = %s"))
        self.refused(raw("UPDATE incentives_settlementline SET amount = 1 WHERE statement_id = %s"))
        self.refused(raw("DELETE FROM incentives_settlementline WHERE statement_id = %s"))
        self.refused(raw("UPDATE incentives_rebateresult SET amount = 0 WHERE statement_id = %s"))
        self.refused(raw("UPDATE incentives_payout SET reference = 'X' WHERE statement_id = %s"))

    def test_nothing_is_added_or_moved_into_an_approved_statement(self, approved, vp):
        result = approved.results.first()
        draft = RebateStatement.objects.create(
            run=approved.run, program=approved.program, partner=PartnerFactory(),
            period=approved.period, kind=approved.kind, amount=0, to_settle=0,
        )  # fmt: skip
        fields = {"rule": result.rule, "amount": 1, "reason": "ok", "explanation": {}}
        self.refused(lambda: RebateResult.objects.create(statement=approved, **fields))
        moved = RebateResult.objects.create(statement=draft, **fields)
        self.refused(lambda: RebateResult.objects.filter(pk=moved.pk).update(statement=approved))
        line = {
            "program": approved.program,
            "partner": approved.partner,
            "amount": 1,
            "period": approved.period,
            "rule_code": "VOL",
            "kind": "payout",
            "reason": "x",
        }
        self.refused(lambda: SettlementLine.objects.create(statement=approved, **line))

    def test_the_rule_versions_and_the_run_behind_it_are_final(self, approved):
        rule = approved.results.first().rule
        self.refused(lambda: type(rule).objects.filter(pk=rule.pk).update(spec={"code": "X"}))
        self.refused(lambda: type(rule).objects.filter(pk=rule.pk)._raw_delete("default"))
        type(rule).objects.filter(pk=rule.pk).update(is_current=False)  # superseded: allowed
        run = approved.run
        self.refused(lambda: RebateRun.objects.filter(pk=run.pk).update(rules=[]))
        self.refused(lambda: RebateRun.objects.filter(pk=run.pk).update(as_of=date(2025, 2, 1)))

    def test_drafts_can_still_be_replaced(self, approved, approved_program, vp):
        draft_count = RebateStatement.objects.filter(status="draft").count()
        run_final(approved_program, vp)
        assert RebateStatement.objects.filter(status="draft").count() == draft_count + 1


def test_the_admin_shows_statements_but_cannot_change_them(approved_program, partners, vp):
    from django.test import Client

    from tests.factories import UserFactory

    run_final(approved_program, vp)
    statement = statement_of(partners[0])
    services.approve_statements([statement], approved_by=vp)
    admin = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    url = f"/admin/incentives/rebatestatement/{statement.pk}/change/"
    assert client.get(url).status_code == 200  # shown, read-only
    response = client.post(url, {"amount": "1.00", "status": "draft"})
    assert response.status_code == 403
    assert client.post(f"/admin/incentives/rebatestatement/{statement.pk}/delete/",
                       {"post": "yes"}).status_code == 403  # fmt: skip
    statement.refresh_from_db()
    assert (statement.status, statement.amount) == (StatementStatus.APPROVED, Decimal("2400.00"))


def test_the_lines_behind_each_result_are_the_lines_it_counted(vp, partner):
    """Exclusive groups, category subtrees and an accrual's day: the drill-down rebuilds
    exactly the lines each result summed."""
    from incentives.explain import lines_behind
    from tests.factories import CategoryFactory

    hardware = CategoryFactory(code="HW")
    laptops = CategoryFactory(code="LT", parent=hardware)
    services_ = CategoryFactory(code="SV")
    for day, category, amount in [
        (date(2025, 1, 5), laptops, "1000.00"), (date(2025, 1, 20), hardware, "2000.00"),
        (date(2025, 2, 3), services_, "500.00"), (date(2025, 3, 25), laptops, "700.00"),
        (date(2025, 2, 10), laptops, "100.00"),
    ]:  # fmt: skip
        sell(partner, category, amount, day=day)
    sell(partner, laptops, "50.00", day=date(2025, 2, 11), credit=True)
    validity = {"period_type": "quarter", "valid_from": "2025-01-01", "valid_to": "2025-12-31"}
    program = services.create_program(name="G", period_start=date(2025, 1, 1),
                                      period_end=date(2025, 12, 31), created_by=vp)  # fmt: skip
    for spec in [
        {"code": "LAPTOPS", "kind": "flat", "rate_percent": "3", "categories": ["LT"],
         "exclusive_group": "G", "priority": 2, **validity},
        {"code": "HARDWARE", "kind": "flat", "rate_percent": "2", "categories": ["HW"],
         "exclusive_group": "G", "priority": 1, **validity},
        {"code": "ALL", "kind": "flat", "rate_percent": "1", **validity},
    ]:  # fmt: skip
        services.save_rule(program, spec, saved_by=vp)
    program = services.approve_program(program, approved_by=UserFactory(role="sales_vp"))
    run = services.start_run(program, Q1, kind=RunKind.ACCRUAL, started_by=vp,
                             as_of=date(2025, 3, 1))  # fmt: skip
    statement = services.run_rebates(run.pk).statements.get(partner=partner)
    counted = {}
    for result in statement.results.select_related("rule"):
        lines = lines_behind(result, statement)
        assert lines.count() == result.lines, result.rule.code
        counted[result.rule.code] = result.lines
    # LAPTOPS takes the laptop lines up to 1 March (3, the credit note included); HARDWARE
    # only what is left of its subtree (1); ALL, outside the group, every line (5).
    assert counted == {"LAPTOPS": 3, "HARDWARE": 1, "ALL": 5}


@pytest.mark.parametrize("wide", [True, False], ids=["a row per partner", "a row per group"])
def test_batches_and_the_stream_of_sums_give_what_the_engine_gives_at_once(
    approved_program, category, vp, monkeypatch, wide
):
    """Many small batches, and a stream read two rows at a time (a partner's rows split
    between fetches): the same results as one computation of every partner."""
    from incentives import engine, runs
    from incentives.services import current_rules

    other = CategoryFactory(code="OTHER")
    for index in range(7):
        partner = PartnerFactory()
        for day in (date(2025, 1, 3), date(2025, 2, 14), date(2025, 3, 30)):
            sell(partner, category, f"{3000 + 1000 * index}.00", day=day)
            sell(partner, other, "1500.00", day=day)
        sell(partner, category, "200.00", day=date(2025, 3, 31), credit=True)
    monkeypatch.setattr(runs, "BATCH", 2)
    monkeypatch.setattr(runs, "FETCH", 2)
    if not wide:  # too many sums for one row: the row-per-group form, split between fetches
        monkeypatch.setattr(engine, "WIDE_COLUMNS", 0)
    run = run_final(approved_program, vp)
    stored = {
        (result.statement.partner_id, result.rule.code): (result.amount, result.lines)
        for result in RebateResult.objects.filter(statement__run=run)
        .select_related("rule", "statement")
    }  # fmt: skip
    at_once = engine.compute(current_rules(approved_program), Q1,
                             partners=runs.run_partners(Q1))  # fmt: skip
    assert stored == {(r.partner_id, r.rule): (r.amount, r.lines) for r in at_once}
    assert len(stored) == 14


def test_an_explanation_with_any_rule_code_is_stored_as_written(vp, partner, category):
    """Results go to the database as lines of COPY text: a rule code with a quote, a
    backslash or a tab (in `taken_by`) comes back as it was."""
    sell(partner, category, "1000.00")
    odd = 'A"\\\tB'
    validity = {"period_type": "quarter", "valid_from": "2025-01-01", "valid_to": "2025-12-31"}
    program = services.create_program(name="Codes", period_start=date(2025, 1, 1),
                                      period_end=date(2025, 12, 31), created_by=vp)  # fmt: skip
    for code, priority in [(odd, 2), ("SECOND", 1)]:
        services.save_rule(program, {"code": code, "kind": "flat", "rate_percent": "1",
                                     "exclusive_group": "G", "priority": priority,
                                     **validity}, saved_by=vp)  # fmt: skip
    program = services.approve_program(program, approved_by=UserFactory(role="sales_vp"))
    statement = run_final(program, vp).statements.get(partner=partner)
    second = statement.results.get(rule__code="SECOND")
    assert second.explanation["taken_by"] == [odd]
    assert (second.amount, second.lines) == (Decimal(0), 0)  # the first rule took the line
    assert statement.results.get(rule__code=odd).amount == Decimal("10.00")


def test_an_explanation_reads_back_the_python_value_written(approved_program, partners, vp):
    """Kept as JSON text (not jsonb): any JSON value round-trips, a str as a JSON string,
    and none at all is refused rather than stored as an empty text."""
    from django.db import IntegrityError

    result = run_final(approved_program, vp).statements.first().results.first()
    for value in ({"rate_percent": "3"}, "just text", ["A", "B"]):
        RebateResult.objects.filter(pk=result.pk).update(explanation=value)
        assert RebateResult.objects.get(pk=result.pk).explanation == value
    with pytest.raises(IntegrityError), transaction.atomic():
        RebateResult.objects.create(statement=result.statement, rule=result.rule, amount=0,
                                    reason="ok")  # fmt: skip


def test_an_accrual_before_any_rule_is_valid_computes_nothing_due(vp, partner, category):
    """No rule reads any day up to the accrual's: every result is 0, not an error."""
    sell(partner, category, "1000.00", day=date(2025, 1, 5))
    program = services.create_program(name="Later", period_start=date(2025, 1, 1),
                                      period_end=date(2025, 12, 31), created_by=vp)  # fmt: skip
    services.save_rule(program, {"code": "MARCH", "kind": "flat", "rate_percent": "1",
                                 "period_type": "quarter", "valid_from": "2025-03-01",
                                 "valid_to": "2025-12-31"}, saved_by=vp)  # fmt: skip
    program = services.approve_program(program, approved_by=UserFactory(role="sales_vp"))
    run = services.start_run(program, Q1, kind=RunKind.ACCRUAL, started_by=vp,
                             as_of=date(2025, 2, 10))  # fmt: skip
    result = services.run_rebates(run.pk).statements.get(partner=partner).results.get()
    assert (result.amount, result.lines, result.reason) == (0, 0, "no_positive_sales")


def test_the_engine_on_no_partners_gives_no_results(approved_program, partners):
    from incentives import engine
    from incentives.services import current_rules
    from partners.models import Partner

    rules = current_rules(approved_program)
    assert engine.compute(rules, Q1, partners=Partner.objects.none()) == []
    assert engine.compute(rules, Q1, partners=Partner.objects.filter(pk__in=[])) == []
