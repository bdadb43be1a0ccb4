"""Rebate periods: `2025-Q1`, `2025-03`, `2025-H1`, `2025` (calendar-aligned), and the
prior-year window of growth rules (rebates.md §3 step 7)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError

PATTERN = re.compile(r"^(\d{4})(?:-(Q[1-4]|H[12]|0[1-9]|1[0-2]))?$")


@dataclass(frozen=True)
class RebatePeriod:
    label: str
    granularity: str  # month, quarter, half_year, year
    start: date
    end: date

    @classmethod
    def parse(cls, text: str) -> RebatePeriod:
        match = PATTERN.match(text or "")
        if not match:
            raise ValidationError(
                {"period": f"period: {text!r} is not YYYY-Qn, YYYY-MM, YYYY-Hn or YYYY"}
            )
        year, part = int(match[1]), match[2]
        if year < 1:
            raise ValidationError({"period": f"period: {text!r} has no such year"})
        if part is None:
            return cls(text, "year", date(year, 1, 1), date(year, 12, 31))
        if part.startswith("Q"):
            first = 3 * int(part[1]) - 2
            return cls(text, "quarter", date(year, first, 1), _month_end(year, first + 2))
        if part.startswith("H"):
            first = 6 * int(part[1]) - 5
            return cls(text, "half_year", date(year, first, 1), _month_end(year, first + 5))
        month = int(part)
        return cls(text, "month", date(year, month, 1), _month_end(year, month))


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def year_before(day: date, *, end: bool = False) -> date:
    """The same day a year earlier: 29 Feb → 28 Feb; a window's `end` on its month's last
    day → that month's last day a year earlier (so an end on 28 Feb 2025 → 29 Feb 2024; a
    start on 28 Feb 2025 stays 28 Feb 2024)."""
    if end and day == _month_end(day.year, day.month):
        return _month_end(day.year - 1, day.month)
    if (day.month, day.day) == (2, 29):
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)
