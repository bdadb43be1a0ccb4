from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from partners.querysets import PartnerRowQuerySet

from .choices import UNRESOLVED

if TYPE_CHECKING:
    pass


class IssueQuerySet(PartnerRowQuerySet):
    def unresolved(self) -> IssueQuerySet:
        return self.filter(status__in=UNRESOLVED)


class IssueCommentQuerySet(models.QuerySet):
    def shared(self) -> IssueCommentQuerySet:
        """What the partner may read: never an internal comment."""
        return self.filter(is_internal=False)


class ArticleQuerySet(models.QuerySet):
    def search(self, text: str) -> ArticleQuerySet:
        """Every word of `text` somewhere in the title, problem, solution or tags — Chinese
        substrings included (`LIKE '%…%'` on a lower-cased copy, served on PostgreSQL by a
        trigram index)."""
        found = self
        for word in text.lower().split()[:10]:
            found = found.filter(search_text__contains=word)
        return found
