from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from partners.querysets import PartnerRowQuerySet

from .choices import TaskStatus

if TYPE_CHECKING:
    pass


class InteractionQuerySet(PartnerRowQuerySet):
    pass


class MaintenanceTaskQuerySet(PartnerRowQuerySet):
    def open(self) -> MaintenanceTaskQuerySet:
        return self.filter(status=TaskStatus.OPEN)

    def overdue(self, today: date) -> MaintenanceTaskQuerySet:
        return self.open().filter(due_on__lt=today)
