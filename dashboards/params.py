"""The dashboards' query parameters, read the same way by the pages and the API:
`period` (`2026Q3`, `2026-09` or `2026`; the current quarter by default), `province` and
`partner_type` (repeatable), `owner` (a user id)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from partners.choices import PartnerType, Province

from .figures import Filters
from .periods import QUARTER, Period


@dataclass
class DashboardParams:
    period: Period
    filters: Filters
    first_covered: date
    errors: dict[str, str] = field(default_factory=dict)


def first_covered(today: date) -> date:
    return date(today.year - settings.DASHBOARD_YEARS + 1, 1, 1)


def read_params(query: Any, *, today: date) -> DashboardParams:
    """Unknown values are reported in `errors` (the API answers 400 with them; the pages
    show them and fall back to the defaults)."""
    errors: dict[str, str] = {}
    first = first_covered(today)
    period = Period.of(QUARTER, today)
    text = (query.get("period") or "").strip()
    if text:
        parsed = Period.parse(text)
        if parsed is None:
            errors["period"] = _("Give a period as 2026Q3, 2026-09 or 2026.")
        elif parsed.start > today or parsed.start < first:
            errors["period"] = _("Figures are kept from %(first)s to today.") % {"first": first}
        else:
            period = parsed
    provinces = [value for value in query.getlist("province") if value]
    if any(value not in Province.values for value in provinces):
        errors["province"] = _("Unknown province.")
        provinces = [value for value in provinces if value in Province.values]
    types = [value for value in query.getlist("partner_type") if value]
    if any(value not in PartnerType.values for value in types):
        errors["partner_type"] = _("Unknown partner type.")
        types = [value for value in types if value in PartnerType.values]
    owner = None
    if query.get("owner"):
        try:
            owner = int(query["owner"])
        except ValueError:
            errors["owner"] = _("Give the owner as a user id.")
    return DashboardParams(
        period=period,
        filters=Filters(province=tuple(provinces), partner_type=tuple(types), owner=owner),
        first_covered=first,
        errors=errors,
    )
