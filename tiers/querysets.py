from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from partners.querysets import AnyUser


class PartnerScoreQuerySet(models.QuerySet):
    def visible_to(self, user: AnyUser) -> PartnerScoreQuerySet:
        from partners.models import Partner

        return self.filter(partner__in=Partner.objects.visible_to(user))


class ProposalQuerySet(models.QuerySet):
    def visible_to(self, user: AnyUser) -> ProposalQuerySet:
        from partners.models import Partner

        return self.filter(partner__in=Partner.objects.visible_to(user))
