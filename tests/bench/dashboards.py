"""The dashboard benchmark (issue 9).

- The tier dashboard of the current quarter with its trend of 8 quarters
  (`dashboards.figures.tier_dashboard`, read from the per-partner summaries) against the
  best single SQL statement computing the same figures from the sales lines, the partners,
  their tier history, timelines and targets (JIT off, like the app). The figures of both are
  compared before anything is timed: the benchmark says so when they differ.
- The same dashboard on a second scale database with the same 100 000 partners and a tenth
  of the lines (`channelhub_bench_1m`, built once the same way): its time must not grow
  with the number of lines.
- Its number of queries: the service's, and the page's as a sales VP when the page exists.
- The summaries: one full rebuild (informational) and one partner's refresh (the
  incremental path), rolled back.

Both databases' summaries are rebuilt first (timed), so they are the current code's; with
BENCH_REBUILD=0 only when they are missing, from another day, or older than the partners,
tier changes or targets."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboards.figures import Filters, TierDashboard, tier_dashboard, trend_periods
from dashboards.models import DashboardSettings, PartnerPeriodSummary
from dashboards.params import first_covered
from dashboards.periods import QUARTER, Period
from dashboards.summary import rebuild, refresh_partners
from partners.models import Partner, TierChange
from sales.models import SalesLine, SalesTarget

SCALE_LINES = int(os.environ.get("BENCH_SCALE_LINES", 1_000_000))
ROOT = settings.BASE_DIR

# Every figure of the dashboard the issue names, per quarter of the trend and tier (and in
# total), the 10 largest partners' share and the HHI per quarter, the current quarter's net
# sales per province: one statement over the sales lines, the partners, their tier history and
# targets. The same rules as the summaries: a partner counts for the tier it held on the
# quarter's last day (today for the quarter under way), read from its tier history (its tier
# field when it has none), and movement compares it with its tier the day before the quarter;
# its spells of termination come from the status changes on its timeline (a reactivation ends
# one) and its termination date; a partner owes its target only in a quarter it was one in.
# The rows are the partners in the quarter and those with net sales in it or a year earlier
# (the summaries also keep former partners' rows for an interaction, task, review or rebate:
# none of the figures compared here comes from those).
# The fastest of the shapes tried (docs/benchmarks.md): the lines summed per partner and
# quarter (an integer bucket: cheaper than date_trunc), pivoted to one array per partner, so
# the year-earlier figure is an array index, not a second join; totals summed from the tiers'
# rows; the top 10 from the arrays. PostgreSQL's default work_mem is the fastest setting
# (with more, the planner gives up the parallel scan).
COMPARATOR_SQL = """
WITH quarters AS (
    SELECT i::int AS i, start, (start + interval '3 months')::date - 1 AS finish,
           least((start + interval '3 months')::date - 1, %(today)s::date) AS upto
    FROM unnest(%(starts)s::date[]) WITH ORDINALITY AS q(start, i)
),
sales AS (
    SELECT partner_id, width_bucket(date, %(bounds)s::date[]) AS k,
           sum(CASE WHEN doc_type = 'credit_note' THEN -net_amount ELSE net_amount END) AS net
    FROM sales_salesline
    WHERE date BETWEEN %(since)s AND %(until)s
    GROUP BY 1, 2
),
nets AS (
    SELECT partner_id, ARRAY[{sums}] AS net
    FROM sales GROUP BY partner_id
),
spans AS (
    SELECT partner_id, effective_on AS since, to_tier AS tier,
           lead(effective_on) OVER (PARTITION BY partner_id
                                    ORDER BY effective_on, created_at, id) AS until
    FROM partners_tierchange
    UNION ALL
    (SELECT DISTINCT ON (partner_id) partner_id, '-infinity'::date,
            coalesce(nullif(from_tier, ''), to_tier), effective_on
     FROM partners_tierchange
     ORDER BY partner_id, effective_on, created_at, id)
),
status AS (
    SELECT partner_id, terminated_on AS since,
           CASE WHEN next_old = 'terminated' THEN next_on END AS until
    FROM (SELECT partner_id, details->>'new' AS new,
                 nullif(details->>'terminated_on', '')::date AS terminated_on,
                 lead(details->>'old') OVER w AS next_old,
                 lead((occurred_at AT TIME ZONE %(zone)s)::date) OVER w AS next_on
          FROM partners_partnerevent
          WHERE kind = 'status_changed'
          WINDOW w AS (PARTITION BY partner_id ORDER BY occurred_at, id)) e
    WHERE new = 'terminated' AND terminated_on IS NOT NULL
),
spells AS (
    SELECT partner_id, since, until FROM status
    UNION ALL
    SELECT id, terminated_on, NULL FROM partners_partner p
    WHERE terminated_on IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM status s WHERE s.partner_id = p.id
                      AND s.since = p.terminated_on AND s.until IS NULL)
),
off AS (
    SELECT s.partner_id, q.i,
           bool_or(s.since < q.start AND (s.until IS NULL OR s.until > q.finish)) AS throughout,
           bool_or(s.since <= q.start - 1 AND (s.until IS NULL OR q.start - 1 < s.until))
               AS day_before,
           bool_or(s.since <= q.upto AND (s.until IS NULL OR q.upto < s.until)) AS at_end,
           bool_or(s.since BETWEEN q.start AND q.finish) AS began
    FROM spells s CROSS JOIN quarters q
    GROUP BY 1, 2
),
facts AS (
    SELECT q.start, p.id, p.province,
           coalesce(e.tier, p.tier) AS tier,
           CASE WHEN p.cooperation_start_date < q.start THEN coalesce(b.tier, p.tier) END
               AS tier_before,
           p.cooperation_start_date < q.start AND NOT coalesce(o.day_before, false) AS at_start,
           p.cooperation_start_date <= q.upto AND NOT coalesce(o.at_end, false) AS at_end,
           p.cooperation_start_date BETWEEN q.start AND q.finish AS is_new,
           coalesce(o.began, false) AS terminated,
           coalesce(n.net[q.i + 4], 0) AS net, coalesce(n.net[q.i], 0) AS before,
           CASE WHEN p.cooperation_start_date <= q.finish AND NOT coalesce(o.throughout, false)
                THEN CASE extract(quarter FROM q.start) WHEN 1 THEN t.q1 WHEN 2 THEN t.q2
                                                        WHEN 3 THEN t.q3 ELSE t.q4 END
           END AS target
    FROM partners_partner p
    CROSS JOIN quarters q
    LEFT JOIN nets n ON n.partner_id = p.id
    LEFT JOIN off o ON o.partner_id = p.id AND o.i = q.i
    LEFT JOIN spans e ON e.partner_id = p.id AND q.upto >= e.since
                     AND (e.until IS NULL OR q.upto < e.until)
    LEFT JOIN spans b ON b.partner_id = p.id AND q.start - 1 >= b.since
                     AND (b.until IS NULL OR q.start - 1 < b.until)
    LEFT JOIN sales_salestarget t ON t.partner_id = p.id AND t.category_id IS NULL
                                 AND t.year = extract(year FROM q.start)
    WHERE (p.cooperation_start_date <= q.finish AND NOT coalesce(o.throughout, false))
       OR n.net[q.i + 4] <> 0 OR n.net[q.i] <> 0
),
ranked AS (
    SELECT *, array_position(ARRAY['potential', 'regular', 'core'], tier::text)
              - array_position(ARRAY['potential', 'regular', 'core'], tier_before::text) AS moved
    FROM facts
),
by_tier AS (
    SELECT start, tier,
           count(*) FILTER (WHERE at_end) AS partners,
           count(*) FILTER (WHERE at_start) AS at_start,
           count(*) FILTER (WHERE is_new) AS new,
           count(*) FILTER (WHERE terminated) AS terminated,
           count(*) FILTER (WHERE moved > 0) AS promoted,
           count(*) FILTER (WHERE moved < 0) AS demoted,
           count(*) FILTER (WHERE at_end AND net > 0) AS active,
           sum(net) AS net, sum(before) AS before,
           sum(net) FILTER (WHERE target IS NOT NULL) AS net_with_target,
           sum(target) AS target, sum(net * net) AS squares
    FROM ranked
    GROUP BY start, tier
),
tiers AS (
    SELECT * FROM by_tier
    UNION ALL
    SELECT start, 'total', sum(partners), sum(at_start), sum(new), sum(terminated),
           sum(promoted), sum(demoted), sum(active), sum(net), sum(before),
           sum(net_with_target), sum(target), sum(squares)
    FROM by_tier GROUP BY start
),
top AS (
    SELECT q.start, (SELECT sum(net) FROM (SELECT n.net[q.i + 4] AS net FROM nets n
                                          WHERE n.net[q.i + 4] > 0
                                          ORDER BY 1 DESC LIMIT 10) l) AS top10
    FROM quarters q
)
SELECT 'tier', t.start, t.tier, t.partners, t.new, t.promoted, t.demoted, t.terminated,
       t.net, CASE WHEN a.net > 0 THEN round(t.net * 100 / a.net, 1) END AS share,
       CASE WHEN t.before > 0 THEN round((t.net - t.before) * 100 / t.before, 1) END AS growth,
       round(t.active * 100.0 / nullif(t.at_start, 0), 1) AS activity_rate,
       round(t.terminated * 100.0 / nullif(t.at_start, 0), 1) AS churn_rate,
       round(t.net_with_target * 100 / nullif(t.target, 0), 1) AS achievement,
       CASE WHEN t.tier = 'total' THEN coalesce(top.top10, 0) END AS top10,
       CASE WHEN t.tier = 'total' AND t.net > 0 THEN round(top.top10 * 100 / t.net, 1) END
           AS top10_percent,
       CASE WHEN t.tier = 'total' AND t.net > 0
            THEN round(t.squares * 10000 / (t.net * t.net), 1) END AS hhi
FROM tiers t
JOIN tiers a ON a.start = t.start AND a.tier = 'total'
LEFT JOIN top ON top.start = t.start
UNION ALL
SELECT 'province', %(current)s::date, province, NULL, NULL, NULL, NULL, NULL, sum(net),
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM facts
WHERE start = %(current)s::date
GROUP BY province
"""  # noqa: S608 (constants only)

# The figures compared between the app and the statement, per quarter and tier.
COMPARED = ["partners", "new", "promoted", "demoted", "terminated", "net_sales", "share",
            "growth", "activity_rate", "churn_rate", "achievement"]  # fmt: skip


class Rollback(Exception):
    pass


def comparator_params(period: Period, first: date, today: date) -> dict[str, Any]:
    """The trend's quarters and the lines' buckets: the 4 quarters before the trend (its
    year-earlier figures), then the trend's, consecutive."""
    periods = trend_periods(period, first)
    since = periods[0].year_before
    return {
        "today": today,
        "zone": settings.TIME_ZONE,
        "starts": [p.start for p in periods],
        "bounds": [(since + n).start for n in range(1, len(periods) + 4)],
        "current": period.start,
        "since": since.start,
        "until": period.end,
    }


def comparator_sql(params: dict[str, Any]) -> str:
    buckets = len(params["bounds"]) + 1
    return COMPARATOR_SQL.replace("{sums}", ", ".join(
        f"coalesce(sum(net) FILTER (WHERE k = {k}), 0)" for k in range(buckets)))  # fmt: skip


def best_sql(params: dict[str, Any]) -> list[tuple]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(comparator_sql(params), params)
        return cursor.fetchall()


def differences(dashboard: TierDashboard, rows: list[tuple]) -> list[str]:
    """Where the dashboard's figures differ from the statement's (empty when they agree)."""
    found = []
    provinces = {}
    for kind, start, key, *values in rows:
        if kind == "province":
            provinces[key] = values[5]
            continue
        (partners, new, promoted, demoted, terminated, net, share, growth, activity, churn,
         achievement, top10, top10_percent, hhi) = values  # fmt: skip
        sql = dict(zip(COMPARED, [partners, new, promoted, demoted, terminated, net, share,
                                  growth, activity, churn, achievement], strict=True))  # fmt: skip
        figures = dashboard.by_period[Period(QUARTER, start)][key]
        for name, expected in sql.items():
            if getattr(figures, name) != expected:
                found.append(f"{start} {key} {name}: app {getattr(figures, name)}, SQL {expected}")
        if key == "total":
            concentration = dashboard.concentration[Period(QUARTER, start)]
            app = (concentration.top10, concentration.top10_percent, concentration.hhi)
            if app != (top10, top10_percent, hhi):
                found.append(f"{start} concentration: app {app}, SQL {(top10, top10_percent, hhi)}")
    app_provinces = {code: net for code, net in dashboard.provinces if net}
    if app_provinces != {code: net for code, net in provinces.items() if net}:
        found.append(f"provinces: app {app_provinces}, SQL {provinces}")
    return found


def summaries_stale(today: date) -> bool:
    """No summaries, built another day, or older than what they are computed from (sales
    lines carry no timestamp: the demo writes them with their partners)."""
    built = DashboardSettings.objects.filter(pk=1).values_list("rebuilt_at", flat=True).first()
    if built is None or timezone.localtime(built).date() != today:
        return True
    if not PartnerPeriodSummary.objects.exists():
        return True
    changed = [
        Partner.objects.aggregate(at=Max("updated_at"))["at"],
        TierChange.objects.aggregate(at=Max("created_at"))["at"],
        SalesTarget.objects.aggregate(at=Max("updated_at"))["at"],
    ]
    return any(at is not None and at > built for at in changed)


def ensure_summaries(today: date) -> float | None:
    """Rebuild the summaries (so they are the current code's), timed; with BENCH_REBUILD=0
    only when they are stale. The seconds, or None when not rebuilt."""
    if os.environ.get("BENCH_REBUILD", "1") != "0" or summaries_stale(today):
        return timed_rebuild(today)
    return None


def timed_rebuild(today: date) -> float:
    started = time.perf_counter()
    rebuild(today=today)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {PartnerPeriodSummary._meta.db_table}")
    return elapsed


def dashboard_work(today: date) -> Callable[[], TierDashboard]:
    period = Period.of(QUARTER, today)
    first = first_covered(today)
    return lambda: tier_dashboard(period, Filters(), first_covered=first)


def query_count(work: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        work()
    return len(captured)


def page_work() -> tuple[Callable[[], Any], str] | None:
    """A GET of the tier dashboard as the demo sales VP, or None while the page does not
    exist."""
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from accounts.models import User

    try:
        url = reverse("dashboards:tiers")
    except NoReverseMatch:
        return None
    client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "localhost")
    client.force_login(User.objects.get(username="vp"))

    def get() -> Any:
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response

    return get, url


def refresh_work(partner_id: int, today: date) -> Callable[[], None]:
    def run() -> None:
        try:
            with transaction.atomic():
                refresh_partners([partner_id], today=today)
                raise Rollback
        except Rollback:
            pass

    return run


# --- the second scale database -----------------------------------------------------------


def scale_database_url() -> str:
    """BENCH_SCALE_DATABASE_URL, or the bench database's name with `_1m`."""
    if os.environ.get("BENCH_SCALE_DATABASE_URL"):
        return os.environ["BENCH_SCALE_DATABASE_URL"]
    url = urlsplit(os.environ.get("DATABASE_URL", ""))
    return url._replace(path=f"{url.path}_1m").geturl()


def ensure_scale_database(url: str) -> None:
    """Create and migrate the second database if it is missing (its data: see child)."""
    name = urlsplit(url).path.lstrip("/")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT,
                   env=env, check=True)  # fmt: skip


def in_database(url: str, *, prepare: bool) -> dict[str, Any]:
    """`child` in a process connected to `url`; its JSON answer."""
    script = (
        "import os, sys, django;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'channelhub.settings'); django.setup();"
        "from tests.bench.dashboards import child; child(prepare=sys.argv[1] == 'prepare')"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, "prepare" if prepare else "time"], cwd=ROOT, check=True,
        text=True, env={**os.environ, "DATABASE_URL": url}, stdout=subprocess.PIPE,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def child(*, prepare: bool) -> None:
    """In the second database: with `prepare`, its data (once) and its summaries; else one
    timed dashboard after a warm-up (the parent alternates these with its own runs, so both
    databases see the same load)."""
    if prepare:
        ensure_child_data()
        today = timezone.localdate()
        answer = {"rebuilt": ensure_summaries(today), "lines": SalesLine.objects.count(),
                  "rows": PartnerPeriodSummary.objects.count()}  # fmt: skip
    else:
        work = dashboard_work(timezone.localdate())
        work()  # warm
        started = time.perf_counter()
        work()
        answer = {"seconds": time.perf_counter() - started}
    print(json.dumps(answer))


def ensure_child_data() -> None:
    from maintenance.models import Interaction

    partners = int(os.environ.get("BENCH_PARTNERS", 100_000))
    interactions = int(os.environ.get("BENCH_INTERACTIONS", 2_000_000))
    missing = (
        Partner.objects.filter(code__startswith="D1-").count() < partners
        or SalesLine.objects.filter(source="demo-1").count() < SCALE_LINES
        or Interaction.objects.count() < interactions
    )
    if not missing:
        return
    print(f"Building the second scale database ({partners} partners, {SCALE_LINES} lines, "
          f"{interactions} interactions); once.", file=sys.stderr, flush=True)  # fmt: skip
    subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--partners", str(partners), "--seed", "1",
         "--sales-lines", str(SCALE_LINES), "--interactions", str(interactions)],
        cwd=ROOT, check=True, stdout=sys.stderr,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- the report ----------------------------------------------------------------------------


def line(name: str, seconds: float, note: str = "") -> None:
    print(f"{name:<46} {seconds * 1000:>10.1f} ms {'':>13} {'':>8}  {note}")


def measure(today: date, runs: int, median_seconds: Any, report: Any) -> None:
    rebuilt = ensure_summaries(today)
    period = Period.of(QUARTER, today)
    first = first_covered(today)
    params = comparator_params(period, first, today)
    work = dashboard_work(today)
    found = differences(work(), best_sql(params))
    queries = query_count(work)
    read = PartnerPeriodSummary.objects.filter(kind=QUARTER, start__in=params["starts"]).count()
    lines = SalesLine.objects.count()
    apps, sqls = [], []
    for _ in range(runs):  # alternately, so that both see the same load
        apps.append(median_seconds(work, 1))
        sqls.append(median_seconds(lambda: best_sql(params), 1))
    app, sql = statistics.median(apps), statistics.median(sqls)
    agree = "figures equal the SQL's" if not found else f"{len(found)} figures differ"
    report(f"tier dashboard {period}, trend of {len(params['starts'])} quarters", app, sql,
           f"{queries} queries; {read} summary rows; {lines} lines; {agree}; "
           "goal ≤ 0.2×")  # fmt: skip
    for difference in found[:10]:
        print(f"    differs: {difference}")

    url = scale_database_url()
    ensure_scale_database(url)
    scale = in_database(url, prepare=True)
    here, there = [], []
    for _ in range(runs):  # alternately, so that both see the same load
        here.append(median_seconds(work, 1))
        there.append(in_database(url, prepare=False)["seconds"])
    report(f"  at {lines} vs {scale['lines']} lines", statistics.median(here),
           statistics.median(there), f"the same dashboard on {urlsplit(url).path.lstrip('/')} "
           "(same partners); goal within 25 %")  # fmt: skip

    page = page_work()
    if page is None:
        print(f"{'  the page as a sales VP':<46} not measured: dashboards:tiers does not resolve")
    else:
        get, path = page
        with warnings.catch_warnings():  # whitenoise: no collected static files here
            warnings.simplefilter("ignore")
            get()  # warm: the middleware, the session, the permissions
        page_queries = query_count(get)
        report(
            f"  the page {path} as a sales VP",
            median_seconds(get, runs),
            app,
            f"{page_queries} queries (goal ≤ 15); vs the service call",
        )

    busiest = (
        SalesLine.objects.values("partner_id").annotate(lines=Count("id"))
        .order_by("-lines").first()
    )  # fmt: skip
    partner_id = busiest["partner_id"] if busiest else Partner.objects.values_list("pk").first()[0]
    rows = PartnerPeriodSummary.objects.filter(partner_id=partner_id).count()
    partner_lines = SalesLine.objects.filter(partner_id=partner_id).count()
    line("  summaries: refresh one partner", median_seconds(refresh_work(partner_id, today), runs),
         f"{rows} rows from {partner_lines} lines, rolled back")  # fmt: skip
    summaries = PartnerPeriodSummary.objects.count()
    if rebuilt is None:
        print(f"{'  summaries: full rebuild':<46} not measured (BENCH_REBUILD=0)")
    else:
        line("  summaries: full rebuild", rebuilt,
             f"{summaries} rows, {Partner.objects.count()} partners, {lines} lines")  # fmt: skip
    if scale["rebuilt"] is not None:
        line("  summaries: full rebuild, 1/10 of the lines", scale["rebuilt"],
             f"{scale['rows']} rows, {scale['lines']} lines")  # fmt: skip
