"""Exports of the partner list: the same columns as the import, so a file can go round."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .importing import COLUMNS, EXPORT_ONLY_COLUMNS
from .models import Partner
from .tabular import write_csv, write_xlsx

EXPORT_CHUNK = 2000


def _header() -> list[str]:
    return [str(column.label) for column in (*COLUMNS, *EXPORT_ONLY_COLUMNS)]


def _rows(partners: QuerySet[Partner]) -> Iterator[list[Any]]:
    """One line per partner with its primary contact; streamed in chunks. `partners` comes
    from `PartnerQuerySet.for_list()`."""
    for partner in partners.iterator(chunk_size=EXPORT_CHUNK):
        contact = partner.primary_contact
        yield [
            partner.code,
            partner.legal_name,
            partner.short_name,
            partner.get_partner_type_display(),
            partner.get_tier_display(),
            partner.get_province_display(),
            partner.city,
            "、".join(partner.coverage_labels()),
            partner.get_revenue_band_display(),
            partner.headcount,
            partner.cooperation_start_date,
            partner.contract_end_date,
            partner.owner.username if partner.owner else "",
            "、".join(tag.name for tag in partner.tags.all()),
            partner.notes,
            contact.name if contact else "",
            contact.title if contact else "",
            contact.phone if contact else "",
            contact.email if contact else "",
            contact.birthday if contact else None,
            _("Yes") if contact else "",
            partner.get_status_display(),
        ]


def partners_csv(partners: QuerySet[Partner]) -> bytes:
    return write_csv(_header(), ([_text(v) for v in row] for row in _rows(partners)))


def partners_xlsx(partners: QuerySet[Partner]) -> bytes:
    return write_xlsx(str(_("Partners")), _header(), _rows(partners))


def import_template_xlsx() -> bytes:
    return write_xlsx(str(_("Partners")), [str(column.label) for column in COLUMNS], [])


def _text(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
