from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db import models

from .choices import ActionStatus, ReviewStatus

if TYPE_CHECKING:
    from partners.querysets import AnyUser


class ReviewQuerySet(models.QuerySet):
    def visible_to(self, user: AnyUser) -> ReviewQuerySet:
        from partners.models import Partner

        return self.filter(partner__in=Partner.objects.visible_to(user))

    def counted(self) -> ReviewQuerySet:
        """The reviews owed (a cancelled one was not: the partner left, or it was merged)."""
        return self.exclude(status=ReviewStatus.CANCELLED)

    def closed(self) -> ReviewQuerySet:
        return self.filter(status=ReviewStatus.CLOSED)


class ReviewActionQuerySet(models.QuerySet):
    def visible_to(self, user: AnyUser) -> ReviewActionQuerySet:
        from partners.models import Partner

        return self.filter(partner__in=Partner.objects.visible_to(user))

    def open(self) -> ReviewActionQuerySet:
        return self.filter(status=ActionStatus.OPEN)

    def overdue(self, today: date) -> ReviewActionQuerySet:
        return self.open().filter(due_on__lt=today)
