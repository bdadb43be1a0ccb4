"""Decimal fields every API renders the same way: strings, rounded half-up in one place
(`channelhub.lib.money`), read-only."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rest_framework import serializers

from channelhub.lib import money


class Money(serializers.DecimalField):
    """A read-only amount: "1234.50" (2 decimals, half-up)."""

    places = money.CENT

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 16)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("coerce_to_string", True)
        kwargs.setdefault("rounding", ROUND_HALF_UP)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def quantize(self, value: Decimal) -> Decimal:
        return money.quantize(value, self.places)


class Percent(Money):
    """A read-only percentage (or ratio) to 0.1, half-up; null when undefined. No cap on its
    digits: growth over a tiny year-earlier figure may be very large."""

    places = money.TENTH

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 20)
        kwargs.setdefault("decimal_places", 1)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)
