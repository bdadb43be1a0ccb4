from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Case, DecimalField, F, Sum, Value, When
from django.db.models.functions import Coalesce

from partners.querysets import PartnerRowQuerySet

from .choices import DocType

if TYPE_CHECKING:
    pass


def signed(field: str) -> Case:
    """`field` with the sign of its line: + for an invoice, − for a credit note."""
    return Case(
        When(doc_type=DocType.CREDIT_NOTE, then=-F(field)),
        default=F(field),
        output_field=DecimalField(max_digits=16, decimal_places=3),
    )


class CategoryQuerySet(models.QuerySet):
    def subtree(self, category: models.Model) -> CategoryQuerySet:
        """The category and every category below it."""
        return self.filter(path__startswith=category.path)  # type: ignore[attr-defined]


class SalesLineQuerySet(PartnerRowQuerySet):
    def net_sales(self) -> dict[str, object]:
        """Net amount and net quantity, credit notes counted negative (product.md §4)."""
        zero = Value(0, output_field=DecimalField(max_digits=16, decimal_places=3))
        return self.aggregate(
            net_amount=Coalesce(Sum(signed("net_amount")), zero),
            net_quantity=Coalesce(Sum(signed("quantity")), zero),
        )
