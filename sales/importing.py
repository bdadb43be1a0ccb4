"""Reading sales-line files: header mapping and the per-row checks that need no database
(formats, signs, required cells). Everything that compares rows with each other or with
the database runs set-based in `services.import_sales`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .choices import DocType
from .models import SalesStagingLine

COLUMNS = {
    "doc_type": gettext_lazy("Document type"),
    "doc_number": gettext_lazy("Document number"),
    "line_number": gettext_lazy("Line"),
    "date": gettext_lazy("Date"),
    "partner_code": gettext_lazy("Partner code"),
    "category_code": gettext_lazy("Category code"),
    "product_code": gettext_lazy("Product code"),
    "quantity": gettext_lazy("Quantity"),
    "net_amount": gettext_lazy("Net amount"),
    "credited_doc_number": gettext_lazy("Credited invoice"),
}
REQUIRED = ("doc_type", "doc_number", "line_number", "date", "partner_code", "category_code")
DOC_TYPES = {
    "invoice": DocType.INVOICE,
    "inv": DocType.INVOICE,
    "发票": DocType.INVOICE,
    "销售发票": DocType.INVOICE,
    "credit_note": DocType.CREDIT_NOTE,
    "credit note": DocType.CREDIT_NOTE,
    "cn": DocType.CREDIT_NOTE,
    "红字发票": DocType.CREDIT_NOTE,
    "退货单": DocType.CREDIT_NOTE,
    "贷项通知单": DocType.CREDIT_NOTE,
}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
MAX_ERRORS_KEPT = 100_000


@dataclass
class ErrorList:
    """Row errors as (row, column, message); counts all, keeps the first MAX_ERRORS_KEPT."""

    items: list[tuple[int, str, str]] = field(default_factory=list)
    count: int = 0

    def add(self, row: int, column: str, message: str) -> None:
        self.count += 1
        if len(self.items) < MAX_ERRORS_KEPT:
            self.items.append((row, column, message))

    def column(self, key: str) -> str:
        return str(COLUMNS[key]) if key in COLUMNS else key


def _normalise(text: Any) -> str:
    return re.sub(r"[\s_*（）()]+", "", str(text or "")).lower()


def map_header(
    header: list[Any],
    errors: ErrorList,
    *,
    columns: Mapping[str, Any] = COLUMNS,
    required: Sequence[str] = (*REQUIRED, "quantity", "net_amount"),
    aliases: Mapping[str, Sequence[str]] | None = None,
) -> list[str | None]:
    """Column keys for a header in English or Chinese (keys, labels or `aliases`); unknown
    and missing columns are errors on row 1. The sales-line columns unless told others."""
    lookup = {}
    for key, label in columns.items():
        lookup[_normalise(key)] = key
        for alias in (aliases or {}).get(key, ()):
            lookup[_normalise(alias)] = key
        for language in ("en", "zh-hans"):
            with translation.override(language):
                lookup[_normalise(str(label))] = key
    keys = [lookup.get(_normalise(title)) for title in header]
    for title, found in zip(header, keys, strict=True):
        if found is None and title not in (None, ""):
            errors.add(1, str(title), _("Unknown column “%(title)s”.") % {"title": title})
    for key in required:
        if key not in keys:
            errors.add(1, str(columns[key]), _("This column is missing."))
    return keys


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def cell_decimal(value: Any, places: int) -> Decimal | None:
    try:
        number = Decimal(cell_text(value).replace(",", ""))
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    exponent = Decimal(1).scaleb(-places)
    return number if number == number.quantize(exponent) else None


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
    return None


def parse_row(
    row_number: int, cells: dict[str, Any], batch_id: int, errors: ErrorList
) -> SalesStagingLine:
    """One staging row; cells that cannot be read are left empty and reported."""

    def error(key: str, message: str) -> None:
        errors.add(row_number, errors.column(key), message)

    for key in REQUIRED:
        if not cell_text(cells.get(key)):
            error(key, _("This field is required."))
    doc_type = DOC_TYPES.get(cell_text(cells.get("doc_type")).lower(), "")
    if cell_text(cells.get("doc_type")) and not doc_type:
        error("doc_type", _("Use invoice or credit_note."))
    line_text = cell_text(cells.get("line_number"))
    line_number = int(line_text) if line_text.isdigit() and len(line_text) < 10 else None
    if line_text and line_number is None:
        error("line_number", _("“%(value)s” is not a line number.") % {"value": line_text})
    day = _date(cells.get("date"))
    if cell_text(cells.get("date")) and day is None:
        error("date", _("“%(value)s” is not a date (use YYYY-MM-DD).") % {"value": cells["date"]})
    quantity = cell_decimal(cells.get("quantity"), 3)
    amount = cell_decimal(cells.get("net_amount"), 2)
    for key, number, places in (("quantity", quantity, 3), ("net_amount", amount, 2)):
        if number is None:
            error(
                key,
                _("“%(value)s” is not a number with at most %(places)d decimals.")
                % {"value": cell_text(cells.get(key)), "places": places},
            )
        elif number < 0:
            error(key, _("Must not be negative: a return is a credit note."))
        elif number >= Decimal("1e11"):
            error(key, _("The number is too large."))
    credited = cell_text(cells.get("credited_doc_number"))
    if doc_type == DocType.CREDIT_NOTE and not credited:
        error("credited_doc_number", _("A credit note names the invoice it credits."))
    if doc_type == DocType.INVOICE and credited:
        error("credited_doc_number", _("Only a credit note names a credited invoice."))
    for key, limit in (("doc_number", 50), ("partner_code", 30), ("category_code", 30)):
        if len(cell_text(cells.get(key))) > limit:
            error(key, _("At most %(n)d characters.") % {"n": limit})
    return SalesStagingLine(
        batch_id=batch_id,
        row_number=row_number,
        doc_type=doc_type,
        doc_number=cell_text(cells.get("doc_number"))[:50],
        line_number=line_number,
        date=day,
        partner_code=cell_text(cells.get("partner_code"))[:30],
        category_code=cell_text(cells.get("category_code"))[:30],
        product_code=cell_text(cells.get("product_code"))[:50],
        quantity=quantity if quantity is not None and 0 <= quantity < Decimal("1e11") else None,
        net_amount=amount if amount is not None and 0 <= amount < Decimal("1e11") else None,
        credited_doc_number=credited[:50],
    )
