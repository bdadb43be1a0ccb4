from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from partners.querysets import PartnerRowQuerySet

from .choices import ActionStatus, ReviewStatus

if TYPE_CHECKING:
    pass


class ReviewQuerySet(PartnerRowQuerySet):
    def counted(self) -> ReviewQuerySet:
        """The reviews owed (a cancelled one was not: the partner left, or it was merged)."""
        return self.exclude(status=ReviewStatus.CANCELLED)

    def closed(self) -> ReviewQuerySet:
        return self.filter(status=ReviewStatus.CLOSED)


class ReviewActionQuerySet(PartnerRowQuerySet):
    def open(self) -> ReviewActionQuerySet:
        return self.filter(status=ActionStatus.OPEN)

    def overdue(self, today: date) -> ReviewActionQuerySet:
        return self.open().filter(due_on__lt=today)
