from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db import models

from .choices import TaskStatus

if TYPE_CHECKING:
    from partners.querysets import AnyUser


class InteractionQuerySet(models.QuerySet):
    def visible_to(self, user: AnyUser) -> InteractionQuerySet:
        from partners.models import Partner

        return self.filter(partner__in=Partner.objects.visible_to(user))


class MaintenanceTaskQuerySet(models.QuerySet):
    def visible_to(self, user: AnyUser) -> MaintenanceTaskQuerySet:
        from partners.models import Partner

        return self.filter(partner__in=Partner.objects.visible_to(user))

    def open(self) -> MaintenanceTaskQuerySet:
        return self.filter(status=TaskStatus.OPEN)

    def overdue(self, today: date) -> MaintenanceTaskQuerySet:
        return self.open().filter(due_on__lt=today)
