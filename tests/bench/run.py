"""`make bench`: the application's code against the best hand-written SQL for the same
answer, measured in the same run on a scale database. Not a test; CI does not run it.

    make bench                  # builds the scale database once, then measures
    BENCH_RUNS=7 make bench     # more runs per figure

The scale database (BENCH_DATABASE_URL, default postgres://…/channelhub_bench) holds
100 000 partners and 10 000 000 sales lines from `seed_demo --seed 1`."""

from __future__ import annotations

import csv
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channelhub.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Max, Min  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from maintenance.models import Interaction  # noqa: E402
from partners.models import Partner  # noqa: E402
from reminders.services import sweep  # noqa: E402
from sales.models import Category, SalesLine  # noqa: E402
from sales.performance import partner_performance, portfolio_net_sales  # noqa: E402

PARTNERS = int(os.environ.get("BENCH_PARTNERS", 100_000))
LINES = int(os.environ.get("BENCH_LINES", 10_000_000))
INTERACTIONS = int(os.environ.get("BENCH_INTERACTIONS", 2_000_000))
IMPORT_LINES = int(os.environ.get("BENCH_IMPORT_LINES", 1_000_000))
RUNS = int(os.environ.get("BENCH_RUNS", 5))
ROOT = Path(settings.BASE_DIR)


class Rollback(Exception):
    pass


def median_seconds(work: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def report(name: str, app: float, sql: float, note: str = "") -> None:
    print(f"{name:<46} {app * 1000:>10.1f} ms {sql * 1000:>10.1f} ms {app / sql:>7.2f}×  {note}")


def ensure_scale_data() -> None:
    partners = Partner.objects.filter(code__startswith="D1-").count()
    lines = SalesLine.objects.filter(source="demo-1").count()
    interactions = Interaction.objects.count()
    if partners >= PARTNERS and lines >= LINES and interactions >= INTERACTIONS:
        return
    print(f"Building the scale database ({PARTNERS} partners, {LINES} lines, {INTERACTIONS} "
          "interactions); once.", flush=True)  # fmt: skip
    subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--partners", str(PARTNERS), "--seed", "1",
         "--sales-lines", str(LINES), "--interactions", str(INTERACTIONS)],
        cwd=ROOT,
        check=True,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def write_import_file(path: Path) -> None:
    """IMPORT_LINES valid invoice lines for the demo partners, as a CSV the import reads."""
    rng = random.Random(7)
    codes = list(Partner.objects.filter(code__startswith="D1-").values_list("code", flat=True))
    categories = list(Category.objects.filter(parent__isnull=False).values_list("code", flat=True))
    start = timezone.localdate() - timedelta(days=365)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["doc_type", "doc_number", "line_number", "date", "partner_code",
                         "category_code", "product_code", "quantity", "net_amount",
                         "credited_doc_number"])  # fmt: skip
        for number in range(IMPORT_LINES):
            day = start + timedelta(days=rng.randrange(365))
            writer.writerow(["invoice", f"B-{number // 2:08d}", number % 2 + 1, day.isoformat(),
                             rng.choice(codes), rng.choice(categories), "", rng.randint(1, 20),
                             f"{rng.randint(100, 999999) / 100:.2f}", ""])  # fmt: skip


def bare_copy(path: Path) -> None:
    """The floor: COPY of the same file into an unindexed table, nothing else."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_raw (doc_type text, doc_number text, line_number int, "
            "date date, partner_code text, category_code text, product_code text, "
            "quantity numeric, net_amount numeric, credited_doc_number text) ON COMMIT DROP"
        )
        with cursor.cursor.copy("COPY bench_raw FROM STDIN WITH (FORMAT csv, HEADER)") as copy, \
                path.open("rb") as handle:  # fmt: skip
            while block := handle.read(1 << 20):
                copy.write(block)


def app_import(path: Path) -> None:
    """The application's import in a child process (so its peak memory is its own); it
    rolls back at the end so every run imports the same lines."""
    script = (
        "import os, sys, django;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'channelhub.settings'); django.setup();"
        "from django.db import transaction; from sales.services import import_sales;\n"
        "class Rollback(Exception): pass\n"
        "try:\n"
        " with transaction.atomic():\n"
        "  batch = import_sales(sys.argv[1], file_name='bench.csv', imported_by=None,"
        " source='bench')\n"
        "  assert batch.inserted_count == int(sys.argv[2]), (batch.status, batch.errors[:3])\n"
        "  raise Rollback\n"
        "except Rollback: pass\n"
        # VmHWM: this process's own peak (ru_maxrss would carry the parent's over exec)
        "print(next(line.split()[1] for line in open('/proc/self/status')"
        " if line.startswith('VmHWM')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path), str(IMPORT_LINES)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    app_import.peak_kib = int(result.stdout.strip().splitlines()[-1])  # type: ignore[attr-defined]


def app_evaluation(quarter: str) -> tuple[float, int]:
    """The tier engine's whole run for `quarter` in a child process (its own peak memory),
    rolled back; returns (seconds of the run itself, peak KiB)."""
    script = (
        "import os, sys, time, django;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'channelhub.settings'); django.setup();"
        "from django.db import transaction; from channelhub.lib.periods import Quarter;"
        "from tiers.engine import evaluate_run; from tiers.models import EvaluationRun;"
        "from tiers.services import scoring_model\n"
        "class Rollback(Exception): pass\n"
        "quarter = Quarter.parse(sys.argv[1])\n"
        "try:\n"
        " with transaction.atomic():\n"
        "  run = EvaluationRun.objects.create(year=quarter.year, quarter=quarter.number,"
        " model=scoring_model().snapshot())\n"
        "  started = time.perf_counter(); evaluate_run(run)\n"
        "  elapsed = time.perf_counter() - started\n"
        "  raise Rollback\n"
        "except Rollback: pass\n"
        "peak = next(line.split()[1] for line in open('/proc/self/status')"
        " if line.startswith('VmHWM'))\n"
        "print(elapsed, peak)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, quarter], cwd=ROOT, check=True, capture_output=True,
        text=True,
    )  # fmt: skip
    elapsed, peak = result.stdout.strip().splitlines()[-1].split()
    return float(elapsed), int(peak)


QUARTERLY_SQL = """
    SELECT date_trunc('quarter', date)::date AS quarter, partner_id,
           sum(CASE WHEN doc_type = 'credit_note' THEN -net_amount ELSE net_amount END)
    FROM sales_salesline
    WHERE partner_id = ANY(%s) AND date BETWEEN %s AND %s
    GROUP BY 1, 2
"""
CATEGORY_SQL = """
    SELECT c.name, sum(CASE WHEN l.doc_type = 'credit_note' THEN -l.net_amount
                            ELSE l.net_amount END) AS net
    FROM sales_salesline l JOIN sales_category c ON c.id = l.category_id
    WHERE l.partner_id = %s AND l.date BETWEEN %s AND %s
    GROUP BY c.name ORDER BY net DESC
"""


def raw_sql(sql: str, params: list[object]) -> Callable[[], object]:
    def run() -> object:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return run


def raw_sql_write(sql: str, params: dict[str, object]) -> Callable[[], object]:
    def run() -> object:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    return run


# Every item of the daily digests in one statement: overdue and due-soon tasks, follow-ups,
# birthdays in 3 days, holidays in 3 days (one row per owner), contracts ending in 60/30/7,
# reviews in 7 days, review action items due in 3 days or overdue since yesterday.
DUE_ITEMS_SQL = """
    SELECT 'task', t.assignee_id, t.partner_id, t.due_on
    FROM maintenance_maintenancetask t JOIN partners_partner p ON p.id = t.partner_id
    WHERE t.status = 'open' AND t.due_on <= %(today)s::date + 3 AND p.status <> 'terminated'
    UNION ALL
    SELECT 'follow_up', i.logged_by_id, i.partner_id, i.follow_up_on
    FROM maintenance_interaction i
    WHERE i.follow_up_on > %(since)s AND i.follow_up_on <= %(today)s
      AND i.logged_by_id IS NOT NULL
    UNION ALL
    SELECT 'birthday', p.owner_id, p.id, c.birthday
    FROM partners_contact c JOIN partners_partner p ON p.id = c.partner_id
    WHERE to_char(c.birthday, 'MM-DD') = to_char(%(today)s::date + 3, 'MM-DD')
      AND p.status <> 'terminated' AND p.owner_id IS NOT NULL
    UNION ALL
    SELECT 'holiday', p.owner_id, NULL, %(holiday)s::date
    FROM partners_partner p
    WHERE %(holiday)s::date IS NOT NULL AND p.status <> 'terminated' AND p.owner_id IS NOT NULL
    GROUP BY p.owner_id
    UNION ALL
    SELECT 'contract', p.owner_id, p.id, p.contract_end_date
    FROM partners_partner p
    WHERE p.contract_end_date IN (%(today)s::date + 60, %(today)s::date + 30, %(today)s::date + 7)
      AND p.status <> 'terminated' AND p.owner_id IS NOT NULL
    UNION ALL
    SELECT 'review', r.manager_id, r.partner_id, (r.scheduled_at AT TIME ZONE 'Asia/Shanghai')::date
    FROM reviews_businessreview r
    WHERE r.status = 'planned'
      AND (r.scheduled_at AT TIME ZONE 'Asia/Shanghai')::date = %(today)s::date + 7
    UNION ALL
    SELECT 'review_action', coalesce(a.owner_user_id, r.manager_id), a.partner_id, a.due_on
    FROM reviews_reviewaction a JOIN reviews_businessreview r ON r.id = a.review_id
    WHERE a.status = 'open' AND a.due_on IN (%(today)s::date + 3, %(today)s::date - 1)
    UNION ALL
    SELECT 'survey_low', p.owner_id, s.partner_id, s.submitted_at::date
    FROM surveys_surveyresponse s JOIN partners_partner p ON p.id = s.partner_id
    WHERE s.needs_follow_up AND s.submitted_at >= %(since)s::date
    UNION ALL
    SELECT 'issue_sla', coalesce(i.assignee_id, p.owner_id), i.partner_id, i.due_at::date
    FROM support_partnerissue i JOIN partners_partner p ON p.id = i.partner_id
    WHERE i.status IN ('new', 'in_progress', 'reopened')
      AND i.due_at <= %(today)s::date + 3 AND i.due_at >= %(today)s::date - 31
    UNION ALL
    SELECT 'tier_changed', p.owner_id, t.partner_id, t.effective_on
    FROM partners_tierchange t JOIN partners_partner p ON p.id = t.partner_id
    WHERE t.from_tier <> '' AND t.created_at >= %(since)s::date
"""

# A quarter's review plan in one statement: every partner due a review gets one.
PLAN_SQL = """
    INSERT INTO reviews_businessreview (
        partner_id, year, quarter, due_on, tier, manager_id, status, format, agenda, notes,
        partner_requests, sales_comment, service_comment, market_comment, satisfaction_comment,
        cancel_reason, created_at)
    SELECT p.id, %(year)s, %(quarter)s, %(due)s, p.tier, p.owner_id, 'planned', '', '', '', '',
           '', '', '', '', '', now()
    FROM partners_partner p
    WHERE p.status <> 'terminated' AND p.owner_id IS NOT NULL AND p.tier = ANY(%(tiers)s)
      AND NOT EXISTS (SELECT 1 FROM reviews_businessreview r WHERE r.partner_id = p.id
                      AND r.year = %(year)s AND r.quarter = %(quarter)s AND r.status <> 'cancelled')
"""


def measure_sweep(today: object) -> tuple[float, int]:
    """The sweep of a day (rolled back, so every run builds the same digests), and how many
    queries it ran."""
    from django.test.utils import CaptureQueriesContext

    queries = 0

    def run() -> None:
        nonlocal queries
        try:
            with transaction.atomic(), CaptureQueriesContext(connection) as captured:
                sweep(as_of=today)
                queries = len(captured)
                raise Rollback
        except Rollback:
            pass

    return median_seconds(run), queries


def rolled_back(work: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            with transaction.atomic():
                work()
                raise Rollback
        except Rollback:
            pass

    return run


def main() -> None:
    ensure_scale_data()
    today = timezone.localdate()
    if sys.argv[1:] == ["rebates"]:  # python -m tests.bench.run rebates: that figure only
        from channelhub.lib.periods import Quarter
        from tests.bench.rebates import measure as measure_rebates

        print(f"{'operation':<46} {'app':>13} {'best SQL':>13} {'ratio':>8}")
        measure_rebates(Quarter.of(today) - 1, max(1, RUNS // 2), median_seconds, report)
        return
    if sys.argv[1:] == ["dashboards"]:  # python -m tests.bench.run dashboards: that figure only
        from tests.bench.dashboards import measure as measure_dashboards

        print(f"{'operation':<46} {'app':>13} {'best SQL':>13} {'ratio':>8}")
        measure_dashboards(today, RUNS, median_seconds, report)
        return
    print(f"\nChannelHub benchmarks · {today} · {Partner.objects.count()} partners · "
          f"{SalesLine.objects.count()} sales lines · median of {RUNS} runs\n")  # fmt: skip
    print(f"{'operation':<46} {'app':>13} {'best SQL':>13} {'ratio':>8}")

    from channelhub.lib.periods import Quarter

    current = Quarter.of(today)
    window = ((current - 11).start, current.end)
    busiest = (  # the partner with the most lines: the heaviest page
        SalesLine.objects.filter(source="demo-1").values("partner_id")
        .annotate(lines=Count("id")).order_by("-lines").first()
    )  # fmt: skip
    partner = Partner.objects.get(pk=busiest["partner_id"]) if busiest else Partner.objects.first()
    app = median_seconds(lambda: partner_performance(partner, today=today))
    quarterly = raw_sql(QUARTERLY_SQL, [[partner.pk], *window])
    category = raw_sql(CATEGORY_SQL, [partner.pk, (current - 3).start, current.end])
    sql = median_seconds(lambda: (quarterly(), category()))
    lines = SalesLine.objects.filter(partner=partner).count()
    report(f"partner performance, one partner ({lines} lines)", app, sql,
           "(2 statements for the SQL side)")  # fmt: skip

    manager = User.objects.get(username="manager1")
    portfolio = Partner.objects.filter(owner=manager)
    ids = list(portfolio.values_list("pk", flat=True))
    app = median_seconds(lambda: portfolio_net_sales(portfolio, today=today))
    sql = median_seconds(raw_sql(QUARTERLY_SQL, [ids, *window]))
    report(f"net sales by quarter, {len(ids)} partners of manager1", app, sql)

    from reminders.holidays import holidays_between

    sweep(as_of=today - timedelta(days=1))  # steady state: yesterday's digests exist
    app, queries = measure_sweep(today)
    holiday = holidays_between(today + timedelta(days=3), today + timedelta(days=3))
    params = {"today": today, "since": today - timedelta(days=1),
              "holiday": holiday[0][1] if holiday else None}  # fmt: skip
    sql = median_seconds(raw_sql(DUE_ITEMS_SQL, params))  # type: ignore[arg-type]
    tasks = Interaction.objects.count()
    report(f"daily reminder sweep ({tasks} interactions)", app, sql,
           f"{queries} queries (the same at any number of partners)")  # fmt: skip

    from maintenance.services import policies
    from reviews.services import plan_quarter, reviews_in

    coming = current + 1  # not planned yet: every run plans it from scratch
    tiers = [tier for tier, p in policies().items() if reviews_in(p.review_every, coming)]
    plan_params = {"year": coming.year, "quarter": coming.number, "due": coming.end,
                   "tiers": tiers}  # fmt: skip
    app = median_seconds(rolled_back(lambda: plan_quarter(coming)))
    sql = median_seconds(rolled_back(raw_sql_write(PLAN_SQL, plan_params)))
    report(f"plan the {coming} business reviews", app, sql, f"tiers {', '.join(tiers)}")

    from tiers.engine import raw_inputs_sql

    sql_text, sql_params = raw_inputs_sql(current)
    bounds = Partner.objects.aggregate(low=Min("id"), high=Max("id"))
    everyone = {**sql_params, "low": bounds["low"], "high": bounds["high"]}
    runs = max(1, RUNS // 2)

    def best_inputs() -> None:  # the same statement for everyone at once, JIT off like the app
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(sql_text, everyone)
            cursor.fetchall()

    sql = median_seconds(best_inputs, runs)
    measured = [app_evaluation(str(current)) for _ in range(runs)]
    app = statistics.median(elapsed for elapsed, _peak in measured)
    peak = max(peak for _elapsed, peak in measured) / 1024
    _seconds, empty_peak = app_evaluation(str(current - 12))  # a window with no sales lines
    window_lines = SalesLine.objects.filter(
        date__gte=(current - 8).start, date__lte=(current - 1).end
    ).count()
    report(f"tier evaluation, {Partner.objects.count()} partners", app, sql,
           f"{window_lines} lines in the windows; peak {peak:.0f} MB vs {empty_peak / 1024:.0f} MB "
           "with none")  # fmt: skip

    from tests.bench.rebates import measure as measure_rebates

    measure_rebates(current - 1, max(1, RUNS // 2), median_seconds, report)

    from tests.bench.dashboards import measure as measure_dashboards

    measure_dashboards(today, RUNS, median_seconds, report)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.csv"
        write_import_file(path)
        runs = max(1, RUNS // 2)
        sql = median_seconds(lambda: bare_copy(path), runs)
        app = median_seconds(lambda: app_import(path), runs)
        peak = app_import.peak_kib / 1024  # type: ignore[attr-defined]
        size = path.stat().st_size / (1 << 20)
        report(f"import {IMPORT_LINES} lines ({size:.0f} MB CSV) vs bare COPY", app, sql,
               f"peak memory of the import {peak:.0f} MB")  # fmt: skip
    print(
        f"\nrusage of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB"
    )


if __name__ == "__main__":
    main()
