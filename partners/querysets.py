"""Reads of the partner archive. `visible_to(user)` is the one row-level gate (product.md §1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.db import models
from django.db.models import Exists, OuterRef, Q

from accounts.roles import Role

from .choices import PartnerStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

    AnyUser = User | AnonymousUser | None


def _is_portfolio_user(user: User) -> bool:
    return user.has_role(Role.CHANNEL_MANAGER) or user.has_role(Role.CHANNEL_SPECIALIST)


class PartnerRowQuerySet(models.QuerySet):
    """Rows that belong to a partner (`partner` foreign key): visible when the partner is."""

    def visible_to(self, user: AnyUser) -> Self:
        from .models import Partner

        return self.filter(partner__in=Partner.objects.visible_to(user))


class PartnerQuerySet(models.QuerySet):
    def visible_to(self, user: AnyUser) -> PartnerQuerySet:
        """Partners `user` may see: all for a VP, support or superuser; own portfolio for a
        channel manager or specialist (as owner or supporting specialist); none otherwise."""
        from accounts.models import User

        if not isinstance(user, User) or not user.is_active:
            return self.none()
        if user.sees_all_partners:
            return self
        if _is_portfolio_user(user):
            supported = self.model.specialists.through.objects.filter(
                partner_id=OuterRef("pk"), user_id=user.pk
            )
            return self.filter(Q(owner_id=user.pk) | Exists(supported))
        return self.none()

    def active(self) -> PartnerQuerySet:
        return self.filter(status=PartnerStatus.ACTIVE)

    def not_terminated(self) -> PartnerQuerySet:
        return self.exclude(status=PartnerStatus.TERMINATED)

    def search(self, text: str) -> PartnerQuerySet:
        """Free-text search over code, names, city and the contacts' names, phones, emails.

        A UNION of two lookups, each able to use its table's trigram indexes on PostgreSQL,
        instead of one OR across both tables (a full scan)."""
        text = text.strip()
        if not text:
            return self
        from .models import Contact

        by_partner = (
            self.model.objects.filter(
                Q(code__icontains=text)
                | Q(legal_name__icontains=text)
                | Q(short_name__icontains=text)
                | Q(city__icontains=text)
            )
            .order_by()
            .values("pk")
        )
        by_contact = (
            Contact.objects.filter(
                Q(name__icontains=text) | Q(phone__icontains=text) | Q(email__icontains=text)
            )
            .order_by()
            .values("partner_id")
        )
        return self.filter(pk__in=by_partner.union(by_contact))

    def for_list(self) -> PartnerQuerySet:
        """What a list row or export line shows, in a fixed number of queries."""
        from .models import Contact

        return self.select_related("owner").prefetch_related(
            "tags",
            models.Prefetch(
                "contacts",
                queryset=Contact.objects.filter(is_primary=True),
                to_attr="primary_contacts",
            ),
        )


class ContactQuerySet(models.QuerySet):
    def visible_to(self, user: AnyUser) -> ContactQuerySet:
        from .models import Partner

        return self.filter(partner__in=Partner.objects.visible_to(user))


class PartnerEventQuerySet(models.QuerySet):
    def visible_to(self, user: AnyUser) -> PartnerEventQuerySet:
        from .models import Partner

        return self.filter(partner__in=Partner.objects.visible_to(user))
