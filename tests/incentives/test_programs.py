"""Rebate programs: checked rules with versions, maker-checker approval, the company's
tier multipliers."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from incentives import services
from incentives.choices import ProgramStatus
from incentives.models import RebateRule
from maintenance.services import policies
from tests.factories import UserFactory

FLAT = {
    "code": "R1",
    "kind": "flat",
    "period_type": "quarter",
    "valid_from": "2026-01-01",
    "valid_to": "2026-12-31",
    "rate_percent": "2",
}


@pytest.fixture
def program(manager):
    return services.create_program(
        name="2026 渠道返利",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        created_by=manager,
    )


def test_a_rule_is_checked_and_the_error_names_the_field(program, manager):
    with pytest.raises(ValidationError) as refused:
        services.save_rule(program, {**FLAT, "rate_percent": "120"}, saved_by=manager)
    assert "rate_percent" in str(refused.value)
    with pytest.raises(ValidationError) as refused:
        services.save_rule(
            program,
            {**FLAT, "kind": "volume_tiered", "tiers": [["500", "2"], ["100", "3"]]},
            saved_by=manager,
        )
    assert "tiers" in str(refused.value)
    assert not RebateRule.objects.exists()


def test_the_approver_must_be_a_sales_vp_other_than_the_last_editor(program, manager, vp):
    services.save_rule(program, FLAT, saved_by=vp)
    with pytest.raises(ValidationError):
        services.approve_program(program, approved_by=manager)  # not a sales VP
    with pytest.raises(ValidationError):
        services.approve_program(program, approved_by=vp)  # edited it last
    other_vp = UserFactory(role="sales_vp")
    approved = services.approve_program(program, approved_by=other_vp)
    assert (approved.status, approved.approved_by) == (ProgramStatus.APPROVED, other_vp)


def test_editing_an_approved_rule_makes_a_new_version_and_needs_approval_again(
    program, manager, vp
):
    first = services.save_rule(program, FLAT, saved_by=manager)
    same = services.save_rule(program, {**FLAT, "rate_percent": "2.5"}, saved_by=manager)
    assert (same.pk, same.version) == (first.pk, 1)  # never approved: changed in place
    services.approve_program(program, approved_by=vp)

    second = services.save_rule(program, {**FLAT, "rate_percent": "3"}, saved_by=manager)

    assert second.version == 2
    assert list(
        RebateRule.objects.filter(code="R1").values_list(
            "version", "is_current", "spec__rate_percent"
        )
    ) == [
        (2, True, "3"),
        (1, False, "2.5"),
    ]
    program.refresh_from_db()
    assert program.status == ProgramStatus.DRAFT
    assert [rule.rate_percent for rule in services.current_rules(program)] == [Decimal("3")]


def test_the_multipliers_are_the_tier_policies(db):
    core = policies()["core"]
    core.rebate_multiplier = Decimal("1.30")
    core.save()
    assert services.company_multipliers() == {
        "core": Decimal("1.30"),
        "regular": Decimal("1.00"),
        "potential": Decimal("0.80"),
    }
