"""`rebates simulate` on every worked case of ../shared/spec/rebate-cases (the real engine on
PostgreSQL, rolled back), and bad case files refused with exit code 2."""

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from partners.models import Partner
from sales.models import Category, SalesLine

# A copy of ../shared/spec/rebate-cases (the spec's worked cases), so a clone can run them.
HERE = Path(__file__).resolve().parent
CASES = sorted((HERE / "rebate_cases").glob("*.json"))
SPEC_CASES = HERE.parents[2] / "shared" / "spec" / "rebate-cases"


def simulate(path):
    out = StringIO()
    call_command("rebates", "simulate", str(path), stdout=out)
    return json.loads(out.getvalue())


def decimals(rows, *keys):
    return {tuple(row[key] for key in keys[:-1]): Decimal(row[keys[-1]]) for row in rows}


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_every_worked_case(db, path):
    expected = json.loads(path.read_text())["expected"]

    output = simulate(path)

    assert output["period"] == expected["period"]
    assert decimals(output["results"], "rule", "partner", "amount") == decimals(
        expected["results"], "rule", "partner", "amount"
    )
    assert {(r["rule"], r["partner"]): r["reason"] for r in output["results"]} == {
        (r["rule"], r["partner"]): r["reason"] for r in expected["results"]
    }
    assert {k: Decimal(v) for k, v in output["totals"].items()} == {
        k: Decimal(v) for k, v in expected["totals"].items()
    }
    assert decimals(output["settlement"], "rule", "partner", "delta") == decimals(
        expected["settlement"], "rule", "partner", "delta"
    )


def test_the_copied_cases_are_the_spec_s():
    assert len(CASES) >= 15
    if not SPEC_CASES.is_dir():
        pytest.skip("../shared is not next to this checkout")
    spec = {path.name: path.read_text() for path in SPEC_CASES.glob("*.json")}
    assert {path.name: path.read_text() for path in CASES} == spec


def test_a_simulation_leaves_nothing_behind(db):
    before = (Partner.objects.count(), SalesLine.objects.count(), Category.objects.count())
    simulate(CASES[0])
    assert (Partner.objects.count(), SalesLine.objects.count(), Category.objects.count()) == before


def bad(tmp_path, change):
    case = json.loads(CASES[0].read_text())
    change(case)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(case))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda case: case.update(surprise=1), "unknown key"),
        (lambda case: case["rules"][0].update(rate_percent=3.5), "float"),
        (lambda case: case["rules"][0].update(rate_percent="120"), "rate_percent"),
        (
            lambda case: case["rules"][0].update(
                kind="volume_tiered", tiers=[["5", "1"], ["2", "2"]]
            ),
            "tiers",
        ),
        (lambda case: case["lines"][0].update(partner="NOBODY"), "partner"),
        (lambda case: case.update(period="2025-Q5"), "period"),
        (lambda case: case.update(period="0000"), "period"),
        (lambda case: case.update(period=2025), "period"),
        (lambda case: case["lines"][0].update(qty="5"), "unknown key"),
        (lambda case: case["lines"][0].pop("quantity"), "missing quantity"),
        (lambda case: case["lines"][0].update(net_amount="-1.00"), "net_amount"),
        (lambda case: case["lines"][0].update(net_amount="100.005"), "net_amount"),
        (lambda case: case["lines"][0].update(net_amount="NaN"), "net_amount"),
        (
            lambda case: case.update(
                settled=[{"rule": "R-FLAT3", "partner": "P1", "period": "2025-Q1", "amount": "NaN"}]
            ),
            "finite",
        ),
        (lambda case: case.update(multipliers={"core": "1.20", "gold": "2"}), "gold"),
        (lambda case: case.update(multipliers=["1.2"]), "multipliers"),
        (lambda case: case.update(partners=["P1"]), "partners[0]"),
        (lambda case: case["rules"][0].update(eligible_tiers=["Core"]), "eligible_tiers"),
        (
            lambda case: case["rules"][0].update(
                kind="volume_tiered",
                measure="quantity",
                tier_mode="incremental",
                tiers=[["0", "1"]],
            ),
            "incremental",
        ),
    ],
)
def test_a_bad_case_exits_2_with_a_message_naming_the_problem(
    db, tmp_path, capsys, change, message
):
    path = bad(tmp_path, change)
    with pytest.raises(SystemExit) as exit_info:
        call_command("rebates", "simulate", str(path))
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_floats_in_expected_and_why_are_ignored(db, tmp_path):
    case = json.loads(CASES[0].read_text())
    case["expected"]["factor"] = 0.5
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    assert simulate(path)["results"]


def test_categories_may_come_before_their_parent(db, tmp_path):
    case = json.loads((HERE / "rebate_cases" / "14-category-filter-with-returns.json").read_text())
    expected = case["expected"]["totals"]
    case["categories"].reverse()
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    assert simulate(path)["totals"] == expected


def test_a_target_must_be_above_zero(db, tmp_path, capsys):
    case = json.loads((HERE / "rebate_cases" / "12-target-achievement.json").read_text())
    case["targets"][0]["amount"] = "0"
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    with pytest.raises(SystemExit):
        call_command("rebates", "simulate", str(path))
    assert "must be > 0" in capsys.readouterr().err


def test_a_settled_amount_without_a_result_now_is_clawed_back(db, tmp_path):
    case = json.loads(CASES[0].read_text())
    rule = case["rules"][0]["code"]
    case["rules"][0]["valid_from"] = "2025-04-01"  # not evaluated for 2025-Q1 any more
    case["settled"] = [{"rule": rule, "partner": "P1", "period": "2025-Q1", "amount": "100.00"}]
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    output = simulate(path)
    assert output["results"] == []
    assert output["settlement"] == [{"rule": rule, "partner": "P1", "delta": "-100.00"}]
