"""Calendar periods in the company time zone."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

QUARTER_PATTERN = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1–4

    @classmethod
    def parse(cls, text: str) -> "Quarter | None":
        """`2026Q4` → that quarter; anything else → None."""
        match = QUARTER_PATTERN.match(text or "")
        return cls(int(match.group(1)), int(match.group(2))) if match else None

    @classmethod
    def of(cls, day: date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        return (self + 1).start - timedelta(days=1)

    def __add__(self, quarters: int) -> "Quarter":
        index = self.year * 4 + self.number - 1 + quarters
        return Quarter(index // 4, index % 4 + 1)

    def __sub__(self, quarters: int) -> "Quarter":
        return self + (-quarters)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


def local_midnight(day: date) -> datetime:
    """The start of `day` in the company time zone: a range on a timestamp column that an
    index serves (a `__date` lookup converts every row first)."""
    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, time.min))
