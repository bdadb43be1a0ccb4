"""The calendar periods a dashboard shows: a month (`2026-09`), a quarter (`2026Q3`) or a
year (`2026`), in the company time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

MONTH, QUARTER, YEAR = "M", "Q", "Y"
KINDS = {MONTH: _("Month"), QUARTER: _("Quarter"), YEAR: _("Year")}
MONTHS_IN = {MONTH: 1, QUARTER: 3, YEAR: 12}
PATTERNS = {
    MONTH: re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    QUARTER: re.compile(r"^(\d{4})Q([1-4])$"),
    YEAR: re.compile(r"^(\d{4})$"),
}


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    kind: str
    start: date  # the first day of its first month

    @classmethod
    def of(cls, kind: str, day: date) -> Period:
        months = MONTHS_IN[kind]
        index = _month_index(day)
        return cls(kind, _month_start(index - (index % 12) % months))

    @classmethod
    def parse(cls, text: str) -> Period | None:
        """`2026-09`, `2026Q3` or `2026` → that period; anything else → None."""
        for kind, pattern in PATTERNS.items():
            match = pattern.match(text or "")
            if match:
                year = int(match.group(1))
                if not 2000 <= year <= 2100:
                    return None
                if kind == MONTH:
                    return cls(kind, date(year, int(match.group(2)), 1))
                if kind == QUARTER:
                    return cls(kind, date(year, 3 * int(match.group(2)) - 2, 1))
                return cls(kind, date(year, 1, 1))
        return None

    @property
    def months(self) -> int:
        return MONTHS_IN[self.kind]

    @property
    def end(self) -> date:
        return (self + 1).start - timedelta(days=1)

    def __add__(self, periods: int) -> Period:
        return Period(self.kind, _month_start(_month_index(self.start) + periods * self.months))

    def __sub__(self, periods: int) -> Period:
        return self + (-periods)

    @property
    def year_before(self) -> Period:
        return Period(self.kind, self.start.replace(year=self.start.year - 1))

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        if self.kind == MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind == QUARTER:
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)


def month_starts(first: date, last: date) -> list[date]:
    """The first days of the months from `first`'s to `last`'s."""
    return [_month_start(i) for i in range(_month_index(first), _month_index(last) + 1)]
