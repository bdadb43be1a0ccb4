"""Survey results (product.md §4): CSAT — the mean of the 1–5 satisfaction answers — and
NPS — % of 9–10 minus % of 0–6 recommend answers — of the answers given in a period, and
the response rate of the surveys sent in it, grouped by month, tier, region or manager.
Two grouped queries whatever the number of partners."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from accounts.models import User
from channelhub.lib.money import TENTH, percent, quantize
from channelhub.lib.periods import local_midnight
from partners.choices import Province, Tier

from .choices import ResultGrouping, SurveyStatus
from .models import LOW_RECOMMEND, Survey, SurveyResponse

PROMOTER = 9


def csat(total: int, count: int) -> Decimal | None:
    return quantize(Decimal(total) / count) if count else None


def nps(promoters: int, detractors: int, count: int) -> Decimal | None:
    if not count:
        return None
    return quantize(Decimal(100 * (promoters - detractors)) / count, TENTH)


@dataclass
class ResultRow:
    key: Any
    label: str
    responses: int = 0
    satisfaction_total: int = 0
    satisfaction_count: int = 0
    promoters: int = 0
    detractors: int = 0
    recommend_count: int = 0
    sent: int = 0
    answered: int = 0
    low: int = 0

    @property
    def csat(self) -> Decimal | None:
        return csat(self.satisfaction_total, self.satisfaction_count)

    @property
    def nps(self) -> Decimal | None:
        return nps(self.promoters, self.detractors, self.recommend_count)

    @property
    def response_rate(self) -> Decimal | None:
        return percent(self.answered, self.sent)


RESPONSE_KEY = {
    ResultGrouping.MONTH: None,  # TruncMonth of the answer's time
    ResultGrouping.TIER: "survey__tier",
    ResultGrouping.REGION: "partner__province",
    ResultGrouping.MANAGER: "survey__manager_id",
}
SURVEY_KEY = {
    ResultGrouping.MONTH: "month",
    ResultGrouping.TIER: "tier",
    ResultGrouping.REGION: "partner__province",
    ResultGrouping.MANAGER: "manager_id",
}


def answered_between(
    responses: QuerySet[SurveyResponse], first_month: date, last_month: date
) -> QuerySet[SurveyResponse]:
    """The answers given from the first day of `first_month` to the end of `last_month`."""
    return responses.filter(
        submitted_at__gte=local_midnight(first_month),
        submitted_at__lt=local_midnight(next_month(last_month)),
    )


def survey_results(
    responses: QuerySet[SurveyResponse],
    surveys: QuerySet[Survey],
    *,
    first_month: date,
    last_month: date,
    group_by: str,
) -> tuple[list[ResultRow], ResultRow]:
    """Rows per group and the total, over the answers given and the surveys sent from the
    first day of `first_month` to the end of `last_month` (both already scoped to what the
    viewer sees and filtered)."""
    end = next_month(last_month)
    answered_in = answered_between(responses, first_month, last_month)
    sent_in = surveys.filter(month__gte=first_month, month__lt=end).exclude(
        status__in=[SurveyStatus.PENDING, SurveyStatus.SENDING, SurveyStatus.FAILED]
    )
    key = RESPONSE_KEY[ResultGrouping(group_by)]
    grouped = (
        answered_in.annotate(group=TruncMonth("submitted_at")) if key is None
        else answered_in.annotate(group=F(key))
    )  # fmt: skip
    rows: dict[Any, ResultRow] = {}
    total = ResultRow(key=None, label="")
    for values in grouped.values("group").annotate(**_response_sums()).order_by("group"):
        group = values["group"].date() if hasattr(values["group"], "date") else values["group"]
        row = rows.setdefault(group, ResultRow(key=group, label=""))
        _add_responses(row, values)
        _add_responses(total, values)
    survey_counts = (
        sent_in.annotate(group=F(SURVEY_KEY[ResultGrouping(group_by)]))
        .values("group")
        .annotate(sent=Count("id"), answered=Count("id", filter=Q(status=SurveyStatus.ANSWERED)))
        .order_by("group")
    )
    for values in survey_counts:
        row = rows.setdefault(values["group"], ResultRow(key=values["group"], label=""))
        row.sent += values["sent"]
        row.answered += values["answered"]
        total.sent += values["sent"]
        total.answered += values["answered"]
    labelled = _label(list(rows.values()), ResultGrouping(group_by))
    return labelled, total


def _response_sums() -> dict[str, Any]:
    return {
        "responses": Count("id"),
        "satisfaction_total": Sum("satisfaction"),
        "satisfaction_count": Count("satisfaction"),
        "promoters": Count("id", filter=Q(recommend__gte=PROMOTER)),
        "detractors": Count("id", filter=Q(recommend__lte=LOW_RECOMMEND)),
        "recommend_count": Count("recommend"),
        "low": Count("id", filter=Q(needs_follow_up=True)),
    }


def _add_responses(row: ResultRow, values: dict[str, Any]) -> None:
    for name in ("responses", "satisfaction_total", "satisfaction_count", "promoters",
                 "detractors", "recommend_count", "low"):  # fmt: skip
        setattr(row, name, getattr(row, name) + (values[name] or 0))


def _label(rows: list[ResultRow], grouping: ResultGrouping) -> list[ResultRow]:
    if grouping == ResultGrouping.MONTH:
        for row in rows:
            row.label = row.key.strftime("%Y-%m") if row.key else "—"
        return sorted(rows, key=lambda row: row.key or date.min)
    if grouping == ResultGrouping.TIER:
        labels = dict(Tier.choices)
        order = list(Tier.values)
        for row in rows:
            row.label = str(labels.get(row.key, row.key or "—"))
        return sorted(rows, key=lambda row: order.index(row.key) if row.key in order else 99)
    if grouping == ResultGrouping.REGION:
        labels = dict(Province.choices)
        for row in rows:
            row.label = str(labels.get(row.key, row.key or "—"))
        return sorted(rows, key=lambda row: row.label)
    names = {user.pk: str(user) for user in User.objects.filter(pk__in=[r.key for r in rows])}
    for row in rows:
        row.label = names.get(row.key, "—")
    return sorted(rows, key=lambda row: row.label)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)
