from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from partners.querysets import AnyUser


class SurveyQuerySet(models.QuerySet):
    def visible_to(self, user: AnyUser) -> SurveyQuerySet:
        from partners.models import Partner

        return self.filter(partner__in=Partner.objects.visible_to(user))


class SurveyResponseQuerySet(models.QuerySet):
    def visible_to(self, user: AnyUser) -> SurveyResponseQuerySet:
        from partners.models import Partner

        return self.filter(partner__in=Partner.objects.visible_to(user))
