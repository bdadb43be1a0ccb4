"""The small spreadsheet imports of the sales app: the catalogue (categories, products) and
the annual targets. Each reads the whole file, checks every row, and writes all of it or
nothing, with row-by-row errors. (Sales lines, which come by the million, have their own
set-based import in `services.import_sales`.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channelhub.lib.tabular import UnreadableFile, read_rows
from partners.models import Partner

from . import services
from .importing import ErrorList, cell_decimal, cell_text, map_header
from .models import Category, Product, SalesTarget

if TYPE_CHECKING:
    from accounts.models import User

CATEGORY_COLUMNS: dict[str, Promise] = {
    "code": gettext_lazy("Category code"),
    "name": gettext_lazy("Category name"),
    "parent_code": gettext_lazy("Parent category code"),
}
PRODUCT_COLUMNS: dict[str, Promise] = {
    "code": gettext_lazy("Product code"),
    "name": gettext_lazy("Product name"),
    "category_code": gettext_lazy("Category code"),
    "is_active": gettext_lazy("Active"),
}
TARGET_COLUMNS: dict[str, Promise] = {
    "partner_code": gettext_lazy("Partner code"),
    "year": gettext_lazy("Year"),
    "category_code": gettext_lazy("Category code"),
    "amount": gettext_lazy("Annual target"),
    "q1": gettext_lazy("Q1"),
    "q2": gettext_lazy("Q2"),
    "q3": gettext_lazy("Q3"),
    "q4": gettext_lazy("Q4"),
}
# Other headers seen in spreadsheets for the same columns.
HEADER_ALIASES = {
    "q1": ("第一季度", "一季度"),
    "q2": ("第二季度", "二季度"),
    "q3": ("第三季度", "三季度"),
    "q4": ("第四季度", "四季度"),
    "amount": ("目标金额", "年度目标金额"),
    "year": ("年份",),
    "parent_code": ("上级编码", "父品类编码"),
    "is_active": ("是否有效", "有效", "启用"),
}
TRUE_WORDS = {"", "1", "y", "yes", "true", "是", "有效", "启用"}
FALSE_WORDS = {"0", "n", "no", "false", "否", "停用", "无效"}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: ErrorList = field(default_factory=ErrorList)

    @property
    def error_rows(self) -> list[dict[str, Any]]:
        return [
            {"row": row, "column": column, "message": message}
            for row, column, message in sorted(self.errors.items)
        ]


def _read(
    content: bytes, file_name: str, columns: dict[str, Promise], required: tuple[str, ...]
) -> tuple[list[tuple[int, dict[str, Any]]], ErrorList]:
    """The data rows as {key: cell}, keyed by headers in English or Chinese."""
    errors = ErrorList()
    try:
        rows = read_rows(content, file_name)
    except UnreadableFile as error:
        errors.add(0, "", str(error))
        return [], errors
    keys = map_header(rows[0], errors, columns=columns, required=required, aliases=HEADER_ALIASES)
    data = []
    for number, raw in enumerate(rows[1:], start=2):
        cells = {key: value for key, value in zip(keys, raw, strict=False) if key}
        if any(cell_text(value) for value in cells.values()):
            data.append((number, cells))
    if not data and not errors.count:
        errors.add(1, "", _("The file has no data rows."))
    return data, errors


def _code(
    errors: ErrorList, row: int, label: Promise, value: Any, limit: int, *, required: bool = True
) -> str:
    text = cell_text(value)
    if required and not text:
        errors.add(row, str(label), _("This field is required."))
    elif len(text) > limit:
        errors.add(row, str(label), _("At most %(n)d characters.") % {"n": limit})
    return text


def import_categories(content: bytes, file_name: str, *, imported_by: User | None) -> ImportResult:
    """Categories by code: new ones are added, known ones renamed or moved. A parent may be
    a category of the file or one already in the catalogue."""
    rows, errors = _read(content, file_name, CATEGORY_COLUMNS, ("code", "name"))
    result = ImportResult(errors=errors)
    existing = {category.code: category for category in Category.objects.all()}
    parents = dict.fromkeys(existing)
    parents.update(
        {
            category.code: existing_parent.code
            for category in existing.values()
            if (existing_parent := _parent_of(category, existing))
        }
    )
    planned: dict[str, tuple[int, str, str]] = {}
    for row, cells in rows:
        code = _code(errors, row, CATEGORY_COLUMNS["code"], cells.get("code"), 30)
        name = _code(errors, row, CATEGORY_COLUMNS["name"], cells.get("name"), 100)
        parent = cell_text(cells.get("parent_code"))
        if code in planned:
            errors.add(
                row,
                str(CATEGORY_COLUMNS["code"]),
                _("The code is also on row %(row)d.") % {"row": planned[code][0]},
            )
        elif code:
            planned[code] = (row, name, parent)
    for code, (_row, _name, parent) in planned.items():
        parents[code] = parent or None
    for code, (row, _name, parent) in planned.items():
        if parent and parent not in parents:
            errors.add(
                row,
                str(CATEGORY_COLUMNS["parent_code"]),
                _("Unknown code “%(code)s”.") % {"code": parent},
            )
        elif _has_cycle(code, parents):
            errors.add(
                row,
                str(CATEGORY_COLUMNS["parent_code"]),
                _("A category cannot move below itself."),
            )
    if errors.count:
        return result
    with transaction.atomic():
        for code in sorted(planned, key=lambda code: _depth(code, parents)):
            _row, name, parent = planned[code]
            category = existing.get(code) or Category(code=code)
            result.updated += category.pk is not None
            result.created += category.pk is None
            category.name = name
            category.parent = existing[parent] if parent else None
            existing[code] = services.save_category(category, saved_by=imported_by)
    return result


def _parent_of(category: Category, by_code: dict[str, Category]) -> Category | None:
    if category.parent_id is None:
        return None
    return next(other for other in by_code.values() if other.pk == category.parent_id)


def _has_cycle(code: str, parents: dict[str, str | None]) -> bool:
    seen = {code}
    current = parents.get(code)
    while current:
        if current in seen:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def _depth(code: str, parents: dict[str, str | None]) -> int:
    depth = 0
    while (code := parents.get(code) or "") and depth < len(parents):
        depth += 1
    return depth


def import_products(content: bytes, file_name: str, *, imported_by: User | None) -> ImportResult:
    """Products by code: new ones are added, known ones changed."""
    rows, errors = _read(content, file_name, PRODUCT_COLUMNS, ("code", "name", "category_code"))
    result = ImportResult(errors=errors)
    categories = dict(Category.objects.values_list("code", "pk"))
    existing = {product.code: product for product in Product.objects.all()}
    planned: dict[str, tuple[int, str, int, bool]] = {}
    for row, cells in rows:
        code = _code(errors, row, PRODUCT_COLUMNS["code"], cells.get("code"), 50)
        name = _code(errors, row, PRODUCT_COLUMNS["name"], cells.get("name"), 200)
        category_code = cell_text(cells.get("category_code"))
        if not category_code:
            errors.add(row, str(PRODUCT_COLUMNS["category_code"]), _("This field is required."))
        elif category_code not in categories:
            errors.add(
                row,
                str(PRODUCT_COLUMNS["category_code"]),
                _("Unknown code “%(code)s”.") % {"code": category_code},
            )
        active_text = cell_text(cells.get("is_active")).lower()
        if active_text not in TRUE_WORDS | FALSE_WORDS:
            errors.add(row, str(PRODUCT_COLUMNS["is_active"]), _("Use yes or no."))
        if code in planned:
            errors.add(
                row,
                str(PRODUCT_COLUMNS["code"]),
                _("The code is also on row %(row)d.") % {"row": planned[code][0]},
            )
        elif code:
            planned[code] = (
                row,
                name,
                categories.get(category_code, 0),
                active_text in TRUE_WORDS,
            )
    if errors.count:
        return result
    with transaction.atomic():
        for code, (_row, name, category_id, is_active) in planned.items():
            product = existing.get(code) or Product(code=code)
            result.updated += product.pk is not None
            result.created += product.pk is None
            product.name, product.category_id, product.is_active = name, category_id, is_active
            services.save_product(product, saved_by=imported_by)
    return result


def import_targets(content: bytes, file_name: str, *, imported_by: User) -> ImportResult:
    """Annual targets, one row per partner, year and (optionally) category. The quarter
    columns may be left empty for an even split. A manager sets only their own partners'."""
    rows, errors = _read(content, file_name, TARGET_COLUMNS, ("partner_code", "year", "amount"))
    result = ImportResult(errors=errors)
    visible = {partner.code: partner for partner in Partner.objects.visible_to(imported_by)}
    categories = {category.code: category for category in Category.objects.all()}
    planned: dict[tuple[str, int, str], tuple[int, dict[str, Any]]] = {}
    label = {key: str(title) for key, title in TARGET_COLUMNS.items()}
    for row, cells in rows:
        partner = visible.get(cell_text(cells.get("partner_code")))
        if partner is None:
            errors.add(
                row,
                label["partner_code"],
                _("Unknown code “%(code)s”.") % {"code": cell_text(cells.get("partner_code"))},
            )
        elif not services.may_set_targets(imported_by, partner):
            errors.add(
                row, label["partner_code"], _("Only the owner manager or a sales VP sets targets.")
            )
        year_text = cell_text(cells.get("year"))
        year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= 2100 else 0
        if not year:
            errors.add(row, label["year"], _("Give a year such as 2027."))
        category_code = cell_text(cells.get("category_code"))
        category = categories.get(category_code)
        if category_code and category is None:
            errors.add(
                row, label["category_code"], _("Unknown code “%(code)s”.") % {"code": category_code}
            )
        amount = cell_decimal(cells.get("amount"), 2)
        if amount is None or amount <= 0 or amount >= Decimal("1e12"):
            errors.add(row, label["amount"], _("Give an amount above 0 with at most 2 decimals."))
        quarters = [cell_decimal(cells.get(key), 2) for key in ("q1", "q2", "q3", "q4")]
        given = [cell_text(cells.get(key)) != "" for key in ("q1", "q2", "q3", "q4")]
        if any(given) and not all(given):
            errors.add(row, label["q1"], _("Give all four quarters, or none for an even split."))
        elif all(given):
            if any(quarter is None or quarter < 0 for quarter in quarters):
                errors.add(row, label["q1"], _("Quarters are amounts of 0 or more."))
            elif amount is not None and sum(q for q in quarters if q is not None) != amount:
                errors.add(
                    row, label["q1"], _("The four quarters must add up to the annual target.")
                )
        key = (cell_text(cells.get("partner_code")), year, category_code)
        if key in planned:
            errors.add(
                row,
                label["partner_code"],
                _("The same target is also on row %(row)d.") % {"row": planned[key][0]},
            )
        else:
            planned[key] = (
                row,
                {
                    "partner": partner,
                    "year": year,
                    "category": category,
                    "amount": amount,
                    "quarters": quarters if all(given) else None,
                },
            )
    if errors.count:
        return result
    existing = set(
        SalesTarget.objects.filter(
            partner__in=[values["partner"] for _row, values in planned.values()]
        ).values_list("partner__code", "year", "category__code")
    )
    with transaction.atomic():
        for (code, year, category_code), (row, values) in planned.items():
            try:
                services.set_target(set_by=imported_by, **values)
            except ValidationError as error:  # not expected after the checks; still per row
                for message in error.messages:
                    errors.add(row, "", message)
                continue
            known = (code, year, category_code or None) in existing
            result.updated += known
            result.created += not known
        if errors.count:
            transaction.set_rollback(True)
            result.created = result.updated = 0
    return result
