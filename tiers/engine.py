"""An evaluation run, set-based: for each batch of partners (by id range) one SQL statement
gathers every raw input of the score from sales lines, targets, interactions, reviews,
survey answers and issues; Python turns those few thousand rows into points (Decimal,
`tiers.criteria`) and the rows are written with COPY. Memory holds one batch of partners,
never sales lines."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Max, Min
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from channelhub.lib.bulk import id_ranges, insert_rows
from channelhub.lib.money import quantize
from channelhub.lib.periods import Quarter, local_midnight
from maintenance.models import Interaction
from partners.choices import PartnerStatus
from partners.models import Partner
from reviews.choices import ReviewStatus
from reviews.models import BusinessReview
from sales.choices import DocType
from sales.models import SalesLine, SalesTarget
from support.choices import IssueCategory
from support.models import PartnerIssue
from surveys.models import LOW_RECOMMEND, SurveyResponse
from surveys.results import PROMOTER

from . import criteria
from .choices import Direction, ProposalStatus, RunStatus
from .models import EvaluationRun, PartnerScore, TierProposal

BATCH = 10_000
PROPOSAL_CHUNK = 2000


def window(run_quarter: Quarter) -> tuple[Quarter, Quarter]:
    """The four complete quarters before the run (first, last)."""
    return run_quarter - 4, run_quarter - 1


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def raw_inputs_sql(run_quarter: Quarter) -> tuple[str, dict[str, Any]]:
    """One statement for the partners with ids in [%(low)s, %(high)s]."""
    first, last = window(run_quarter)
    quarters = [first + n for n in range(4)]
    params: dict[str, Any] = {
        "w_start": first.start, "w_end": last.end, "b_start": (first - 4).start,
        "w_from": local_midnight(first.start), "w_until": local_midnight(last.end + timedelta(1)),
        "credit": DocType.CREDIT_NOTE.value, "invoice": DocType.INVOICE.value,
        "closed": ReviewStatus.CLOSED.value, "complaint": IssueCategory.COMPLAINT.value,
        "terminated": PartnerStatus.TERMINATED.value, "promoter": PROMOTER,
        "detractor": LOW_RECOMMEND,
    }  # fmt: skip
    quarter_sums = []
    target_sums = []
    for index, quarter in enumerate(quarters, start=1):
        params[f"q{index}_start"], params[f"q{index}_end"] = quarter.start, quarter.end
        params[f"q{index}_year"] = quarter.year
        quarter_sums.append(
            f"SUM(CASE WHEN l.date BETWEEN %(q{index}_start)s AND %(q{index}_end)s "
            f"THEN l.amount ELSE 0 END) AS n{index}"
        )
        target_sums.append(
            f"SUM(CASE WHEN t.year = %(q{index}_year)s THEN t.q{quarter.number} END) AS t{index}"
        )
    years = sorted({quarter.year for quarter in quarters})
    year_list = ", ".join(f"%(year_{n})s" for n in range(len(years)))
    for n, year in enumerate(years):
        params[f"year_{n}"] = year
    sql = f"""
    SELECT p.id, p.tier, p.province, p.coverage, p.cooperation_start_date,
           s.net, s.net_before, s.n1, s.n2, s.n3, s.n4, s.categories,
           t.t1, t.t2, t.t3, t.t4, i.interactions, r.review_total, r.review_count,
           v.satisfaction_total, v.satisfaction_count, v.promoters, v.detractors,
           v.recommend_count, x.resolved, x.sla_met, x.complaints, x.issues
    FROM {_table(Partner)} p
    LEFT JOIN (
        SELECT l.partner_id,
               SUM(CASE WHEN l.date >= %(w_start)s THEN l.amount ELSE 0 END) AS net,
               SUM(CASE WHEN l.date < %(w_start)s THEN l.amount ELSE 0 END) AS net_before,
               {", ".join(quarter_sums)},
               COUNT(DISTINCT CASE WHEN l.date >= %(w_start)s AND l.doc_type = %(invoice)s
                                   THEN l.category_id END) AS categories
        FROM (SELECT partner_id, date, doc_type, category_id,
                     CASE WHEN doc_type = %(credit)s THEN -net_amount ELSE net_amount END AS amount
              FROM {_table(SalesLine)}
              WHERE partner_id BETWEEN %(low)s AND %(high)s
                AND date BETWEEN %(b_start)s AND %(w_end)s) l
        GROUP BY l.partner_id
    ) s ON s.partner_id = p.id
    LEFT JOIN (
        SELECT t.partner_id, {", ".join(target_sums)}
        FROM {_table(SalesTarget)} t
        WHERE t.partner_id BETWEEN %(low)s AND %(high)s AND t.category_id IS NULL
          AND t.year IN ({year_list})
        GROUP BY t.partner_id
    ) t ON t.partner_id = p.id
    LEFT JOIN (
        SELECT partner_id, COUNT(*) AS interactions FROM {_table(Interaction)}
        WHERE partner_id BETWEEN %(low)s AND %(high)s
          AND occurred_at >= %(w_from)s AND occurred_at < %(w_until)s
        GROUP BY partner_id
    ) i ON i.partner_id = p.id
    LEFT JOIN (
        SELECT partner_id, SUM(overall_score) AS review_total, COUNT(*) AS review_count
        FROM {_table(BusinessReview)}
        WHERE partner_id BETWEEN %(low)s AND %(high)s AND status = %(closed)s
          AND due_on BETWEEN %(w_start)s AND %(w_end)s
        GROUP BY partner_id
    ) r ON r.partner_id = p.id
    LEFT JOIN (
        SELECT partner_id, SUM(satisfaction) AS satisfaction_total,
               COUNT(satisfaction) AS satisfaction_count,
               SUM(CASE WHEN recommend >= %(promoter)s THEN 1 ELSE 0 END) AS promoters,
               SUM(CASE WHEN recommend <= %(detractor)s THEN 1 ELSE 0 END) AS detractors,
               COUNT(recommend) AS recommend_count
        FROM {_table(SurveyResponse)}
        WHERE partner_id BETWEEN %(low)s AND %(high)s
          AND submitted_at >= %(w_from)s AND submitted_at < %(w_until)s
        GROUP BY partner_id
    ) v ON v.partner_id = p.id
    LEFT JOIN (
        SELECT partner_id,
               SUM(CASE WHEN resolved_at >= %(w_from)s AND resolved_at < %(w_until)s
                        THEN 1 ELSE 0 END) AS resolved,
               SUM(CASE WHEN resolved_at >= %(w_from)s AND resolved_at < %(w_until)s
                         AND sla_met THEN 1 ELSE 0 END) AS sla_met,
               SUM(CASE WHEN created_at >= %(w_from)s AND created_at < %(w_until)s
                         AND category = %(complaint)s THEN 1 ELSE 0 END) AS complaints,
               SUM(CASE WHEN created_at >= %(w_from)s AND created_at < %(w_until)s
                        THEN 1 ELSE 0 END) AS issues
        FROM {_table(PartnerIssue)}
        WHERE partner_id BETWEEN %(low)s AND %(high)s
          AND (resolved_at >= %(w_from)s OR created_at >= %(w_from)s)
        GROUP BY partner_id
    ) x ON x.partner_id = p.id
    WHERE p.id BETWEEN %(low)s AND %(high)s AND p.status <> %(terminated)s
    ORDER BY p.id
    """  # noqa: S608 (table names from the models; every value is a parameter)
    return sql, params


def _decimal(value: Any) -> Decimal:
    """A sum from the database as exact cents (SQLite sums decimals as floats)."""
    return Decimal(0) if value is None else quantize(Decimal(str(value)))


def inputs_from_row(row: dict[str, Any], window_end: date) -> criteria.Inputs:
    coverage = row["coverage"]
    if isinstance(coverage, str):
        coverage = json.loads(coverage or "[]")
    quarter_nets = [_decimal(row[f"n{n}"]) for n in range(1, 5)]
    targeted = [n for n in range(1, 5) if row[f"t{n}"] is not None]
    return criteria.Inputs(
        net=_decimal(row["net"]),
        net_before=_decimal(row["net_before"]),
        quarter_nets=quarter_nets,
        # A quarter without a target (its year has none) is left out of both sides.
        target=sum((_decimal(row[f"t{n}"]) for n in targeted), Decimal(0)) if targeted else None,
        target_net=sum((quarter_nets[n - 1] for n in targeted), Decimal(0)),
        provinces=len({row["province"], *(coverage or [])}),
        years=criteria.years_between(_as_date(row["cooperation_start_date"]), window_end),
        categories=int(row["categories"] or 0),
        interactions=int(row["interactions"] or 0),
        review_total=_decimal(row["review_total"]),
        review_count=int(row["review_count"] or 0),
        satisfaction_total=int(row["satisfaction_total"] or 0),
        satisfaction_count=int(row["satisfaction_count"] or 0),
        promoters=int(row["promoters"] or 0),
        detractors=int(row["detractors"] or 0),
        recommend_count=int(row["recommend_count"] or 0),
        resolved=int(row["resolved"] or 0),
        sla_met=int(row["sla_met"] or 0),
        complaints=int(row["complaints"] or 0),
        issues=int(row["issues"] or 0),
    )


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _rows(sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")  # compiling costs more than it saves here
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def previous_runs(run: EvaluationRun, count: int) -> list[int]:
    """The latest finished run of each of the `count` quarters before the run's (in order,
    newest first): the evaluations a demotion must have been below in."""
    runs = []
    quarter = run.period
    for _step in range(count):
        quarter = quarter - 1
        found = (
            EvaluationRun.objects.filter(year=quarter.year, quarter=quarter.number,
                                         status=RunStatus.DONE)
            .order_by("-created_at").values_list("pk", flat=True).first()
        )  # fmt: skip
        if found is None:
            break
        runs.append(found)
    return runs


class Averages:
    """Mean inputs of the partners in each tier (what "a core partner averages")."""

    FIELDS = frozenset(criteria.AVERAGED.values())

    def __init__(self) -> None:
        self.sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        self.counts: dict[tuple[str, str], int] = defaultdict(int)

    def add(self, tier: str, stored: dict[str, Any]) -> None:
        for entry in stored.values():
            for name, value in entry["inputs"].items():
                if name in self.FIELDS and value is not None:
                    self.sums[tier, name] += Decimal(str(value))
                    self.counts[tier, name] += 1

    def result(self) -> dict[str, dict[str, str]]:
        averages: dict[str, dict[str, str]] = defaultdict(dict)
        for (tier, name), total in self.sums.items():
            count = self.counts[tier, name]
            # each input is repeated under several criteria (net under three): same mean
            averages[tier][name] = str(quantize(total / count))
        return dict(averages)


def evaluate_run(run: EvaluationRun) -> EvaluationRun:
    """Score every partner that is not terminated, batch by batch (progress in the run),
    then replace the open proposals of older runs with this run's."""
    EvaluationRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    model = run.model
    partners = Partner.objects.exclude(status=PartnerStatus.TERMINATED)
    bounds = partners.aggregate(low=Min("id"), high=Max("id"))
    EvaluationRun.objects.filter(pk=run.pk).update(total=partners.count())
    sql, params = raw_inputs_sql(run.period)
    window_end = window(run.period)[1].end
    grace_start = (run.period - model["grace_quarters"]).start
    earlier = previous_runs(run, model["demote_after"] - 1)
    averages = Averages()
    scored = 0
    if bounds["low"] is not None:
        for low, high in id_ranges(bounds["low"], bounds["high"], BATCH):
            with transaction.atomic():
                rows = _rows(sql, {**params, "low": low, "high": high})
                earned_before = _earlier_tiers(earlier, low, high)
                scores = [
                    _score(run, row, window_end, grace_start, len(earlier), earned_before, averages)
                    for row in rows
                ]
                insert_rows(PartnerScore, scores)
                scored += len(scores)
                EvaluationRun.objects.filter(pk=run.pk).update(
                    scored=scored, heartbeat_at=timezone.now()
                )
    with transaction.atomic():
        TierProposal.objects.filter(status=ProposalStatus.OPEN, run_id__lt=run.pk).update(
            status=ProposalStatus.SUPERSEDED
        )
        created = _create_proposals(run)
        EvaluationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DONE, proposals=created, tier_averages=averages.result(),
            finished_at=timezone.now(),
        )  # fmt: skip
    run.refresh_from_db()
    return run


def _earlier_tiers(runs: list[int], low: int, high: int) -> dict[int, list[str]]:
    """The tiers the partners earned in the earlier runs (judged against their tier now,
    not the one they had then: a partner just demoted starts counting again)."""
    if not runs:
        return {}
    earned: dict[int, list[str]] = defaultdict(list)
    for partner_id, tier in PartnerScore.objects.filter(
        run_id__in=runs, partner_id__gte=low, partner_id__lte=high
    ).values_list("partner_id", "earned_tier"):
        earned[partner_id].append(tier)
    return earned


def _score(
    run: EvaluationRun, row: dict[str, Any], window_end: date, grace_start: date,
    history: int, earned_before: dict[int, list[str]], averages: Averages,
) -> PartnerScore:  # fmt: skip
    inputs = inputs_from_row(row, window_end)
    result = criteria.evaluate(inputs, run.model)
    stored = criteria.stored(inputs, result)
    current = row["tier"]
    earned = result.earned_tier or current
    averages.add(current, stored)
    is_below = criteria.rank(earned) < criteria.rank(current)
    proposed = ""
    if criteria.rank(earned) > criteria.rank(current):
        proposed = earned
    elif is_below:
        needed = run.model["demote_after"] - 1
        settled = _as_date(row["cooperation_start_date"]) <= grace_start
        below_before = sum(
            1
            for tier in earned_before.get(row["id"], [])
            if criteria.rank(tier) < criteria.rank(current)
        )
        if settled and history >= needed and below_before >= needed:
            proposed = earned
    return PartnerScore(
        run=run, partner_id=row["id"], current_tier=current, earned_tier=earned,
        score=result.score, criteria=stored, is_below=is_below, proposed_tier=proposed,
    )  # fmt: skip


def _create_proposals(run: EvaluationRun) -> int:
    """This run's proposals from its scores, written in chunks (memory holds one chunk):
    only for partners still in the tier they were scored in, and none over an approved
    change waiting for its date."""
    rows = (
        PartnerScore.objects.filter(run=run, partner__tier=F("current_tier"))
        .exclude(proposed_tier="")
        .exclude(partner__tier_proposals__status=ProposalStatus.APPROVED)
        .values_list("pk", "partner_id", "current_tier", "proposed_tier")
        .order_by("pk")
    )
    created = 0
    chunk: list[TierProposal] = []
    for score_id, partner_id, current, proposed in rows.iterator(chunk_size=PROPOSAL_CHUNK):
        up = criteria.rank(proposed) > criteria.rank(current)
        chunk.append(
            TierProposal(
                run=run, partner_id=partner_id, score_id=score_id, from_tier=current,
                to_tier=proposed, direction=Direction.UP if up else Direction.DOWN,
            )
        )  # fmt: skip
        if len(chunk) == PROPOSAL_CHUNK:
            created += len(bulk_create_with_history(chunk, TierProposal))
            chunk = []
    if chunk:
        created += len(bulk_create_with_history(chunk, TierProposal))
    return created
