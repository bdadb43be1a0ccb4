from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from partners.querysets import AnyUser


class StatementQuerySet(models.QuerySet):
    def visible_to(self, user: AnyUser) -> StatementQuerySet:
        """Statements of the partners `user` sees: a manager reads only their partners'."""
        from partners.models import Partner

        return self.filter(partner__in=Partner.objects.visible_to(user))
