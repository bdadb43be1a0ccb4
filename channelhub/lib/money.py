"""Money: Decimal end to end, rounded half-up (四舍五入) in one place."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def quantize(value: Decimal, exponent: Decimal = CENT) -> Decimal:
    """Round half-up to `exponent` (0.01 by default): the only rounding money gets."""
    return value.quantize(exponent, rounding=ROUND_HALF_UP)


def exact(value: object) -> Decimal:
    """A sum read from the database as exact money: PostgreSQL returns a Decimal, SQLite a
    float of the same cents (None, an empty sum, is 0)."""
    if isinstance(value, Decimal):
        return value
    return quantize(Decimal(str(value or 0)))


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """part / whole in %, half-up to 0.1; None (shown "—") when the whole is 0."""
    return quantize(Decimal(part) * 100 / Decimal(whole), TENTH) if whole else None


def split_evenly(total: Decimal, parts: int) -> list[Decimal]:
    """`parts` cent amounts that add up to `total` exactly; the last takes the remainder."""
    share = quantize(total / parts)
    return [share] * (parts - 1) + [total - share * (parts - 1)]
