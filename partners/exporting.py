"""Exports of the partner list: the same columns as the import, so a file can go round."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet, TextChoices
from django.utils.translation import gettext as _

from channelhub.lib.tabular import write_csv, write_xlsx

from .choices import PartnerStatus, PartnerType, Province, RevenueBand, Tier
from .importing import COLUMNS, EXPORT_ONLY_COLUMNS
from .models import Contact, Partner

EXPORT_CHUNK = 2000


def _header() -> list[str]:
    return [str(column.label) for column in (*COLUMNS, *EXPORT_ONLY_COLUMNS)]


def _labels(choices: type[TextChoices]) -> dict[str, str]:
    """Choice labels translated once per export, not once per cell."""
    return {value: str(label) for value, label in choices.choices}


PARTNER_COLUMNS = (
    "pk",
    "code",
    "legal_name",
    "short_name",
    "partner_type",
    "tier",
    "province",
    "city",
    "coverage",
    "revenue_band",
    "headcount",
    "cooperation_start_date",
    "contract_end_date",
    "owner__username",
    "notes",
    "status",
)
CONTACT_COLUMNS = ("partner_id", "name", "title", "phone", "email", "birthday")


def _chunks(rows: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _rows(partners: QuerySet[Partner]) -> Iterator[list[Any]]:
    """One line per partner with its primary contact, in the list's order. Streams plain
    tuples from a server-side cursor; each chunk's contacts and tags come in two queries."""
    types, tiers, provinces = _labels(PartnerType), _labels(Tier), _labels(Province)
    bands, statuses = _labels(RevenueBand), _labels(PartnerStatus)
    yes = str(_("Yes"))
    rows = partners.values_list(*PARTNER_COLUMNS).iterator(chunk_size=EXPORT_CHUNK)
    for chunk in _chunks(rows, EXPORT_CHUNK):
        ids = [row[0] for row in chunk]
        contacts = {
            row[0]: row
            for row in Contact.objects.filter(partner_id__in=ids, is_primary=True).values_list(
                *CONTACT_COLUMNS
            )
        }
        tags: dict[int, list[str]] = defaultdict(list)
        links = Partner.tags.through.objects.filter(partner_id__in=ids)
        for partner_id, name in links.order_by("tag__name").values_list("partner_id", "tag__name"):
            tags[partner_id].append(name)
        for (pk, code, legal, short, kind, tier, province, city, coverage, band, headcount,
             start, end, owner, notes, status) in chunk:  # fmt: skip
            contact = contacts.get(pk)
            yield [
                code,
                legal,
                short,
                types.get(kind, kind),
                tiers.get(tier, tier),
                provinces.get(province, province),
                city,
                "、".join(provinces.get(item, item) for item in coverage),
                bands.get(band, ""),
                headcount,
                start,
                end,
                owner or "",
                "、".join(tags[pk]),
                notes,
                *(contact[1:] if contact else ("", "", "", "", None)),
                yes if contact else "",
                statuses.get(status, status),
            ]


def partners_csv(partners: QuerySet[Partner]) -> bytes:
    return write_csv(_header(), ([_text(v) for v in row] for row in _rows(partners)))


def partners_xlsx(partners: QuerySet[Partner]) -> bytes:
    return write_xlsx(str(_("Partners")), _header(), _rows(partners))


def import_template_xlsx() -> bytes:
    return write_xlsx(str(_("Partners")), [str(column.label) for column in COLUMNS], [])


def _text(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
