"""The rebate benchmark (issue 8): a final run of one quarter over every partner with a
program of 4 rules (flat, retroactive tiers, growth, target), against the best single SQL
statement that aggregates the same bases, the pandas route (lines copied out, float
arithmetic) and one query per partner (timed on 2 000 partners, scaled up)."""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from accounts.models import User
from accounts.roles import Role
from channelhub.lib.bulk import insert_rows, vacuum
from channelhub.lib.periods import Quarter
from incentives import services
from incentives.models import RebateProgram, RebateResult, RebateStatement
from incentives.periods import year_before
from partners.models import Partner
from sales.models import Category, SalesLine, SalesTarget

PROGRAM = "bench: 4 rules"
PER_PARTNER_SAMPLE = 2000


def _rules(quarter: Quarter, root: Category) -> list[dict[str, Any]]:
    validity = {"period_type": "quarter", "valid_from": f"{quarter.year}-01-01",
                "valid_to": f"{quarter.year}-12-31"}  # fmt: skip
    return [
        {"code": "FLAT", "kind": "flat", "rate_percent": "1", **validity},
        {"code": "TIERS", "kind": "volume_tiered", "categories": [root.code], **validity,
         "tiers": [["0", "0"], ["20000", "2"], ["50000", "3"], ["100000", "4"]]},
        {"code": "GROWTH", "kind": "growth", **validity,
         "growth_tiers": [["0", "1"], ["10", "2"], ["30", "3"]]},
        {"code": "TARGET", "kind": "target", **validity,
         "achievement_tiers": [["80", "1"], ["100", "2"], ["120", "3"]]},
    ]  # fmt: skip


def ensure_program(quarter: Quarter) -> tuple[RebateProgram, Category]:
    """The approved 4-rule program and every partner's target for the quarter's year, made
    once in the scale database."""
    root = Category.objects.filter(parent__isnull=True).order_by("code").first()
    assert root is not None
    program = RebateProgram.objects.filter(name=PROGRAM, period_start__year=quarter.year).first()
    if program is None:
        maker, _ = User.objects.get_or_create(username="bench-maker")
        checker, _ = User.objects.get_or_create(username="bench-checker")
        for user in (maker, checker):
            user.groups.add(*__import__("django.contrib.auth.models", fromlist=["Group"])
                            .Group.objects.filter(name=Role.SALES_VP))  # fmt: skip
        program = services.create_program(
            name=PROGRAM, period_start=quarter.start.replace(month=1, day=1),
            period_end=quarter.start.replace(month=12, day=31), created_by=maker,
        )  # fmt: skip
        for rule in _rules(quarter, root):
            services.save_rule(program, rule, saved_by=maker)
        program = services.approve_program(program, approved_by=User.objects.get(pk=checker.pk))
    have = set(SalesTarget.objects.filter(year=quarter.year, category__isnull=True)
               .values_list("partner_id", flat=True))  # fmt: skip
    quarterly = Decimal("30000.00")
    missing = [
        SalesTarget(partner_id=pk, year=quarter.year, amount=4 * quarterly, q1=quarterly,
                    q2=quarterly, q3=quarterly, q4=quarterly)
        for pk in Partner.objects.exclude(pk__in=have).values_list("pk", flat=True)
    ]  # fmt: skip
    with transaction.atomic():
        insert_rows(SalesTarget, missing)
    return program, root


def app_run(program: RebateProgram, period: str) -> tuple[float, int]:
    """The whole final run in a child process (its own peak memory), rolled back."""
    script = (
        "import os, sys, time, django;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'channelhub.settings'); django.setup();"
        "from django.db import transaction;"
        "from incentives.models import RebateRun, RebateProgram;"
        "from incentives.services import run_rebates\n"
        "class Rollback(Exception): pass\n"
        "program = RebateProgram.objects.get(pk=int(sys.argv[1]))\n"
        "try:\n"
        " with transaction.atomic():\n"
        "  run = RebateRun.objects.create(program=program, period=sys.argv[2], kind='final',"
        " rules=list(program.rules.filter(is_current=True).values_list('pk', flat=True)))\n"
        "  started = time.perf_counter(); run = run_rebates(run.pk)\n"
        "  elapsed = time.perf_counter() - started\n"
        "  print('statements', run.done, 'total', run.amount, file=sys.stderr)\n"
        "  raise Rollback\n"
        "except Rollback: pass\n"
        "peak = next(line.split()[1] for line in open('/proc/self/status')"
        " if line.startswith('VmHWM'))\n"
        "print(elapsed, peak)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(program.pk), period], check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    elapsed, peak = result.stdout.strip().splitlines()[-1].split()
    return float(elapsed), int(peak)


SIGNED = "CASE WHEN l.doc_type = 'credit_note' THEN -l.net_amount ELSE l.net_amount END"
BASES = """
    SELECT l.partner_id,
           sum({signed}) FILTER (WHERE l.date BETWEEN %(start)s AND %(end)s) AS net,
           sum({signed}) FILTER (WHERE l.date BETWEEN %(start)s AND %(end)s
                                   AND c.path LIKE %(root)s) AS tiered,
           sum({signed}) FILTER (WHERE l.date BETWEEN %(prior_start)s AND %(prior_end)s) AS prior,
           count(*) AS lines
    FROM sales_salesline l JOIN sales_category c ON c.id = l.category_id
    WHERE {partner} (l.date BETWEEN %(start)s AND %(end)s
                     OR l.date BETWEEN %(prior_start)s AND %(prior_end)s)
    GROUP BY l.partner_id
"""
BASES_SQL = BASES.format(signed=SIGNED, partner="")
# The same bases written as the run writes its results: a row per (partner, rule), into a
# table with only a primary key (the cheapest write there is).
WRITE_SQL = f"""
    INSERT INTO bench_rebate_bases (partner_id, rule, base, prior, lines)
    SELECT b.partner_id, r.rule, CASE WHEN r.rule = 'TIERS' THEN b.tiered ELSE b.net END,
           CASE WHEN r.rule = 'GROWTH' THEN b.prior END, b.lines
    FROM ({BASES_SQL}) b
    CROSS JOIN (VALUES ('FLAT'), ('TIERS'), ('GROWTH'), ('TARGET')) AS r(rule)
"""  # noqa: S608 (constants only)


def bases_params(quarter: Quarter, root: Category) -> dict[str, Any]:
    return {"start": quarter.start, "end": quarter.end, "root": f"{root.path}%",
            "prior_start": year_before(quarter.start),
            "prior_end": year_before(quarter.end, end=True)}  # fmt: skip


def best_sql(params: dict[str, Any]) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(BASES_SQL, params)
        return len(cursor.fetchall())


def best_sql_written(params: dict[str, Any]) -> None:
    """The bases computed and written in one INSERT … SELECT (rolled back)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("CREATE TEMP TABLE bench_rebate_bases (id bigserial PRIMARY KEY, "
                           "partner_id integer, rule text, base numeric, prior numeric, "
                           "lines integer) ON COMMIT DROP")  # fmt: skip
            cursor.execute(WRITE_SQL, params)
            raise Rollback
    except Rollback:
        pass


class Rollback(Exception):
    pass


def pandas_route(params: dict[str, Any]) -> float | None:
    """COPY the lines out, compute the four rules in floats (inexact), return the total."""
    try:
        import numpy as np
        import pandas as pd
    except ImportError:
        return None
    query = f"""COPY (SELECT l.partner_id, l.date, l.doc_type = 'credit_note' AS credit,
                      l.net_amount, c.path LIKE '{params["root"]}' AS in_root
                      FROM sales_salesline l JOIN sales_category c ON c.id = l.category_id
                      WHERE l.date BETWEEN '{params["prior_start"]}' AND '{params["prior_end"]}'
                         OR l.date BETWEEN '{params["start"]}' AND '{params["end"]}')
                TO STDOUT WITH CSV"""  # noqa: S608 (dates and a path from the database)
    buffer = io.BytesIO()
    with connection.cursor() as cursor, cursor.cursor.copy(query) as copy:
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    lines = pd.read_csv(buffer, names=["partner", "date", "credit", "amount", "in_root"],
                        parse_dates=["date"])  # fmt: skip
    lines["signed"] = np.where(lines["credit"] == "t", -lines["amount"], lines["amount"])
    current = lines["date"] >= pd.Timestamp(params["start"])
    now = lines[current].groupby("partner")["signed"].sum()
    tiered = lines[current & (lines["in_root"] == "t")].groupby("partner")["signed"].sum()
    prior = lines[~current].groupby("partner")["signed"].sum()
    partners = pd.DataFrame(list(Partner.objects.values_list("pk", "tier")),
                            columns=["partner", "tier"]).set_index("partner")  # fmt: skip
    frame = partners.join(now.rename("net")).join(tiered.rename("tiered")).join(
        prior.rename("prior")).fillna(0.0)  # fmt: skip
    multiplier = frame["tier"].map({"core": 1.2, "regular": 1.0, "potential": 0.8})
    net = frame["net"].clip(lower=0)
    flat = net * 0.01
    t = frame["tiered"]
    tier_rate = np.select([t >= 100000, t >= 50000, t >= 20000], [4, 3, 2], 0) / 100
    growth = np.where(frame["prior"] > 0, (frame["net"] - frame["prior"]) * 100 / frame["prior"],
                      -np.inf)  # fmt: skip
    growth_rate = np.select([growth >= 30, growth >= 10, growth >= 0], [3, 2, 1], 0) / 100
    achievement = frame["net"] * 100 / 30000
    target_rate = np.select([achievement >= 120, achievement >= 100, achievement >= 80],
                            [3, 2, 1], 0) / 100  # fmt: skip
    amounts = ((flat + t.clip(lower=0) * tier_rate + net * growth_rate + net * target_rate)
               * multiplier).round(2)  # fmt: skip
    return float(amounts.sum())


def per_partner_route(params: dict[str, Any]) -> tuple[float, int]:
    """One query per partner (on a sample), scaled to every partner."""
    ids = list(Partner.objects.order_by("pk").values_list("pk", flat=True)[:PER_PARTNER_SAMPLE])
    sql = BASES.format(signed=SIGNED, partner="l.partner_id = %(partner)s AND")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for pk in ids:
            cursor.execute(sql, {**params, "partner": pk})
            cursor.fetchall()
    elapsed = time.perf_counter() - started
    return elapsed * Partner.objects.count() / max(1, len(ids)), len(ids)


def measure(quarter: Quarter, runs: int, median_seconds: Any, report: Any) -> None:
    program, root = ensure_program(quarter)
    params = bases_params(quarter, root)
    period = f"{quarter.year}-Q{quarter.number}"
    lines = SalesLine.objects.filter(date__gte=quarter.start, date__lte=quarter.end).count()
    sql = median_seconds(lambda: best_sql(params), runs)
    written = median_seconds(lambda: best_sql_written(params), runs)
    measured = []
    for _ in range(runs):
        # A rolled-back run leaves 500 000 dead rows behind: vacuumed before each run, every
        # run writes into the same tables (as a real run after autovacuum would).
        vacuum(RebateResult, RebateStatement)
        measured.append(app_run(program, period))
    app = statistics.median(elapsed for elapsed, _peak in measured)
    peak = max(peak for _elapsed, peak in measured) / 1024
    report(f"rebate final run {period}, 4 rules", app, written,
           f"{lines} lines in the quarter; peak {peak:.0f} MB; SQL: the bases aggregated "
           "and written, a row per partner and rule, by one INSERT … SELECT")  # fmt: skip
    report("  the same, against the aggregation alone", app, sql, "(no write)")
    pandas = median_seconds(lambda: pandas_route(params), runs) if pandas_route(params) else None
    if pandas is None:
        print(f"{'  pandas route':<46} not measured: pandas is not installed")
    else:
        report("  pandas route (floats, inexact) vs the aggregation", pandas, sql,
               f"the app is {app / pandas:.2f}× the pandas route")  # fmt: skip
    per_partner, sample = per_partner_route(params)
    report("  one query per partner (scaled) vs the aggregation", per_partner, sql,
           f"timed on {sample} partners; the app is {app / per_partner:.2f}× it")  # fmt: skip
