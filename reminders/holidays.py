"""The main Chinese holidays for emotional care (情感维系): the lunar ones by date (from the
official calendars), National Day every 1 October."""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext_lazy as _

SPRING_FESTIVAL = _("Spring Festival")
DRAGON_BOAT = _("Dragon Boat Festival")
MID_AUTUMN = _("Mid-Autumn Festival")
NATIONAL_DAY = _("National Day")

LUNAR_HOLIDAYS = {
    "spring_festival": [
        date(2024, 2, 10), date(2025, 1, 29), date(2026, 2, 17), date(2027, 2, 6),
        date(2028, 1, 26), date(2029, 2, 13), date(2030, 2, 3),
    ],
    "dragon_boat": [
        date(2024, 6, 10), date(2025, 5, 31), date(2026, 6, 19), date(2027, 6, 9),
        date(2028, 5, 28), date(2029, 6, 16), date(2030, 6, 5),
    ],
    "mid_autumn": [
        date(2024, 9, 17), date(2025, 10, 6), date(2026, 9, 25), date(2027, 9, 15),
        date(2028, 10, 3), date(2029, 9, 22), date(2030, 9, 12),
    ],
}  # fmt: skip
NAMES = {
    "spring_festival": SPRING_FESTIVAL,
    "dragon_boat": DRAGON_BOAT,
    "mid_autumn": MID_AUTUMN,
    "national_day": NATIONAL_DAY,
}


def holidays_between(start: date, end: date) -> list[tuple[str, date]]:
    """(holiday key, day) for the holidays from `start` to `end`, in order."""
    found = [
        (key, day) for key, days in LUNAR_HOLIDAYS.items() for day in days if start <= day <= end
    ]
    for year in range(start.year, end.year + 1):
        if start <= date(year, 10, 1) <= end:
            found.append(("national_day", date(year, 10, 1)))
    return sorted(found, key=lambda item: item[1])
