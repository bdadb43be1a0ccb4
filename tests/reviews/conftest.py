from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from channelhub.lib.periods import Quarter
from reviews import services

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = "2026-11-20 10:00 +08:00"
Q4 = Quarter(2026, 4)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW)
    return at(date(2026, 11, 20))


def held_review(partner, *, held_on=date(2026, 11, 18), quarter=Q4):
    review = services.plan_review(partner, quarter=quarter, planned_by=partner.owner)
    return services.hold_review(review, held_by=partner.owner, held_on=held_on)


def rate(review, sales=4, service=3, market=5, satisfaction=2):
    return services.record_review(
        review,
        recorded_by=review.manager,
        scores={"sales": sales, "service": service, "market": market, "satisfaction": satisfaction},
    )
