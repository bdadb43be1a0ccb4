from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest

from .services import queue_partners


def _partner_id(obj: Model) -> int | None:
    from partners.models import Partner

    return obj.pk if isinstance(obj, Partner) else getattr(obj, "partner_id", None)


class QueuesSummariesAdmin:
    """For the admin pages of models a dashboard summary reads: an edit there queues the
    partner, as the services do."""

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        queue_partners([_partner_id(obj)])

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        partner_id = _partner_id(obj)
        super().delete_model(request, obj)  # type: ignore[misc]
        queue_partners([partner_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        partner_ids = [_partner_id(obj) for obj in queryset]
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        queue_partners(partner_ids)
