"""The demo's rebates: an approved program for last quarter's year (drafted by the
administrator, approved by the sales VP) and its final run over last quarter, done at once
(not through the Celery queue), so that `make run` shows statements waiting for approval."""

from __future__ import annotations

from datetime import date

from accounts.models import User
from channelhub.lib.periods import Quarter

from . import services
from .choices import RunKind
from .models import RebateProgram, RebateRun


def _rules(year: int) -> list[dict[str, object]]:
    validity = {"period_type": "quarter", "valid_from": f"{year}-01-01",
                "valid_to": f"{year}-12-31"}  # fmt: skip
    return [
        {"code": "BASE", "kind": "flat", "rate_percent": "0.5", **validity},
        {"code": "VOLUME", "kind": "volume_tiered", **validity,
         "tiers": [["0", "0"], ["100000", "1"], ["300000", "2"], ["600000", "3"]],
         "cap_amount": "50000"},
        {"code": "GROWTH", "kind": "growth", **validity, "eligible_tiers": ["core", "regular"],
         "growth_tiers": [["10", "0.5"], ["30", "1"]]},
    ]  # fmt: skip


def seed_rebates(*, today: date) -> int:
    """Returns how many statements the run wrote (none when a program is already there)."""
    if RebateProgram.objects.exists():
        return 0
    maker = User.objects.filter(username="admin").first()
    checker = User.objects.filter(username="vp").first()
    if maker is None or checker is None:
        return 0
    quarter = Quarter.of(today) - 1
    year = quarter.year
    program = services.create_program(
        name=f"{year} 年渠道返利政策", description="基础返利、季度阶梯返利和同比增长奖励。",
        period_start=date(year, 1, 1), period_end=date(year, 12, 31), created_by=maker,
    )  # fmt: skip
    for rule in _rules(year):
        services.save_rule(program, rule, saved_by=maker)
    program = services.approve_program(program, approved_by=checker)
    run = RebateRun.objects.create(
        program=program, period=f"{year}-Q{quarter.number}", kind=RunKind.FINAL,
        rules=list(program.rules.filter(is_current=True).values_list("pk", flat=True)),
        created_by=checker,
    )  # fmt: skip
    return services.run_rebates(run.pk).done
