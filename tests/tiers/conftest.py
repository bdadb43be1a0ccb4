from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from channelhub.lib.periods import Quarter
from tiers import services

SHANGHAI = ZoneInfo("Asia/Shanghai")
Q4 = Quarter(2026, 4)  # window: 2025Q4 … 2026Q3


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def evaluate(quarter=Q4, by=None):
    """Start a run and do what its Celery task does."""
    run = services.start_run(quarter, started_by=by)
    return services.run_evaluation(run.pk)


def points(score, criterion):
    value = score.criteria[criterion]["points"]
    return None if value is None else Decimal(value)
