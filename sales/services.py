"""Writes of sales data: the catalogue and the all-or-nothing sales import."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Count, Exists, F, Min, OuterRef, QuerySet, Subquery, Value
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from channelhub.lib.money import split_evenly
from channelhub.lib.tabular import UnreadableFile, csv_format, iter_file_rows, write_csv
from dashboards.services import queue_partners, queue_partners_of
from partners.models import Partner

from . import staging
from .choices import DocType, ImportStatus
from .importing import ErrorList, map_header
from .models import (
    DEFAULT_SOURCE,
    Category,
    Product,
    SalesImport,
    SalesLine,
    SalesStagingLine,
    SalesTarget,
)

if TYPE_CHECKING:
    from accounts.models import User

ERRORS_STORED = 1000


@transaction.atomic
def save_category(category: Category, *, saved_by: User | None) -> Category:
    """Add or change (rename, move) a category; its subtree moves with it."""
    if category.pk and category.parent_id:
        parent = Category.objects.get(pk=category.parent_id)
        if parent.path.startswith(Category.objects.get(pk=category.pk).path):
            raise ValidationError({"parent": _("A category cannot move below itself.")})
    old_path = Category.objects.get(pk=category.pk).path if category.pk else None
    category._history_user = saved_by  # type: ignore[attr-defined]
    category.full_clean(exclude=["path"])
    category.save()
    parent_path = category.parent.path if category.parent else "/"
    new_path = f"{parent_path}{category.pk}/"
    if new_path != category.path:
        Category.objects.filter(pk=category.pk).update(path=new_path)
        category.path = new_path
        if old_path:
            for descendant in Category.objects.filter(path__startswith=old_path).exclude(
                pk=category.pk
            ):
                Category.objects.filter(pk=descendant.pk).update(
                    path=new_path + descendant.path[len(old_path) :]
                )
    return category


@transaction.atomic
def save_product(product: Product, *, saved_by: User | None) -> Product:
    product._history_user = saved_by  # type: ignore[attr-defined]
    product.full_clean()
    product.save()
    return product


def may_set_targets(user: User, partner: Partner) -> bool:
    """A sales VP sets any partner's targets, a channel manager those of the partners they
    own (product.md §1: specialists never)."""
    if not user.has_perm("sales.change_salestarget"):
        return False
    return user.sees_all_partners or partner.owner_id == user.pk


@transaction.atomic
def set_target(
    partner: Partner,
    *,
    year: int,
    amount: Decimal,
    set_by: User | None,
    quarters: list[Decimal] | None = None,
    category: Category | None = None,
) -> SalesTarget:
    """Set (or change) a partner's annual target; split evenly into quarters unless given.
    The history keeps every version with who and when."""
    if amount <= 0:
        raise ValidationError({"amount": _("The target must be more than 0.")})
    quarters = quarters or split_evenly(amount, 4)
    if len(quarters) != 4 or any(q < 0 for q in quarters) or sum(quarters) != amount:
        raise ValidationError({"amount": _("The four quarters must add up to the annual target.")})
    target = (
        SalesTarget.objects.select_for_update()
        .filter(partner=partner, year=year, category=category)
        .first()
    ) or SalesTarget(partner=partner, year=year, category=category)
    target.amount = amount
    target.q1, target.q2, target.q3, target.q4 = quarters
    target.set_by = set_by
    target._history_user = set_by  # type: ignore[attr-defined]
    target.save()
    queue_partners([partner.pk])
    return target


class _Rejected(Exception):
    pass


ProgressCallback = Callable[[int, float | None], None]
"""Called now and then while the file is read, with the rows read so far (0 when unknown)
and the share of the file read (None when unknown); (rows, 1.0) once it is all read."""


def progress_key(batch_id: int) -> str:
    return f"sales-import-progress:{batch_id}"


def import_progress(batch: SalesImport) -> dict[str, float | int]:
    """How far a running import is: rows read and the share of the file (0–1)."""
    return cache.get(progress_key(batch.pk)) or {"rows": 0, "fraction": 0.0, "started": False}


def queue_sales_import(
    upload: File, *, file_name: str, imported_by: User | None, source: str = DEFAULT_SOURCE
) -> SalesImport:
    """Keep the uploaded file in the shared storage and let a Celery worker import it (large
    files take minutes); the page follows its progress."""
    from .tasks import run_sales_import

    batch = SalesImport(
        uploaded_by=imported_by,
        file_name=file_name[:255],
        source=source,
        status=ImportStatus.QUEUED,
    )
    batch.stored_file.save(f"{uuid.uuid4().hex}.upload", upload, save=False)
    batch.save()
    language = translation.get_language()
    transaction.on_commit(lambda: run_sales_import.delay(batch.pk, language))
    return batch


def run_queued_import(batch_id: int, language: str | None = None) -> SalesImport | None:
    """The worker's side of `queue_sales_import`; errors are worded in `language` (the
    uploader's). The batch row stays locked while its import runs: a task delivered twice
    (the broker gave up waiting) skips a batch another worker holds, and a worker that died
    releases it, so the redelivered task imports it (safely: only what is not there)."""
    language = language or settings.LANGUAGE_CODE

    def report_progress(rows: int, fraction: float | None) -> None:
        shown = {"rows": rows, "fraction": 0.0 if fraction is None else fraction}
        cache.set(progress_key(batch_id), {**shown, "started": True}, 24 * 3600)

    try:
        with transaction.atomic():
            batch = (
                SalesImport.objects.select_for_update(skip_locked=True)
                .filter(pk=batch_id, status__in=(ImportStatus.QUEUED, ImportStatus.RUNNING))
                .first()
            )
            if batch is None:
                return None  # finished already, or another worker is importing it
            report_progress(0, 0.0)  # the page shows the import running from now on
            batch.status = ImportStatus.RUNNING
            with local_file(batch.stored_file) as path, translation.override(language):
                import_sales(path, batch=batch, progress=report_progress)  # in their words
    except Exception:
        SalesImport.objects.filter(pk=batch_id).update(
            status=ImportStatus.FAILED, finished_at=timezone.now()
        )
        cache.delete(progress_key(batch_id))
        raise
    cache.delete(progress_key(batch_id))
    batch.stored_file.delete(save=True)  # the lines (or the error report) are what is kept
    return batch


@contextmanager
def local_file(stored: FieldFile) -> Iterator[str]:
    """A path on this machine for a stored file: the file itself on a local disk, else a
    temporary copy (object storage shared by several machines)."""
    try:
        yield stored.path
        return
    except NotImplementedError:
        pass
    with tempfile.NamedTemporaryFile(suffix=".upload") as copy:
        with stored.open("rb") as source:
            shutil.copyfileobj(source, copy, 1 << 20)
        copy.flush()
        yield copy.name


def import_sales(
    path: str,
    *,
    batch: SalesImport | None = None,
    file_name: str = "",
    imported_by: User | None = None,
    source: str = DEFAULT_SOURCE,
    progress: ProgressCallback | None = None,
) -> SalesImport:
    """Import a file of sales lines all-or-nothing. Rows are staged (COPY on PostgreSQL),
    checked against each other and the database in a few set-based queries, and inserted
    with one INSERT … SELECT. Lines already imported with the same values are skipped, so
    importing a file again adds nothing; any error writes no line at all, and every error
    goes into a downloadable report (row, column, problem)."""
    if batch is None:
        batch = SalesImport.objects.create(
            uploaded_by=imported_by,
            file_name=file_name[:255],
            source=source,
            status=ImportStatus.RUNNING,
        )
    errors = ErrorList()
    try:
        with transaction.atomic():
            batch.row_count = _stage(path, batch, errors, progress)
            if progress:
                progress(batch.row_count, 1.0)
            _check_references(batch, errors)
            if errors.count:
                raise _Rejected
            batch.inserted_count = _insert_lines(batch)
            batch.skipped_count = batch.row_count - batch.inserted_count
            SalesStagingLine.objects.filter(batch=batch).delete()
            # last: other writes to these partners' queue rows wait until the commit
            queue_partners_of(SalesLine.objects.filter(import_batch=batch))
    except UnreadableFile as error:
        errors.add(0, "", str(error))
    except _Rejected:
        pass  # the transaction rolled back: staging rows and lines are gone
    batch.status = ImportStatus.INVALID if errors.count else ImportStatus.IMPORTED
    if errors.count:
        batch.inserted_count = batch.skipped_count = 0
        ordered = sorted(errors.items)
        batch.errors = [
            {"row": row, "column": column, "message": message}
            for row, column, message in ordered[:ERRORS_STORED]
        ]
        report = write_csv([_("Row"), _("Column"), _("Problem")], ordered)
        batch.error_report.save(f"{uuid.uuid4().hex}.csv", ContentFile(report), save=False)
    batch.error_count = errors.count
    batch.finished_at = timezone.now()
    batch.save()
    return batch


def _stage(
    path: str,
    batch: SalesImport,
    errors: ErrorList,
    progress: ProgressCallback | None,
) -> int:
    """Put the file's rows into the staging table, typed; rows with errors are noted."""
    file_format = csv_format(path)
    if file_format is not None and connection.vendor == "postgresql":
        count = staging.copy_csv(path, file_format, batch, errors, progress)
    else:
        count = _stage_rows(iter_file_rows(path), batch, errors, progress)
    if count is None:
        raise _Rejected
    if connection.vendor == "postgresql":  # the set-based checks are planned on fresh figures
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {SalesStagingLine._meta.db_table}")
    if not count and not errors.count:
        errors.add(1, "", _("The file has no data rows."))
    return count


def _stage_rows(
    rows: Iterator[list[Any]],
    batch: SalesImport,
    errors: ErrorList,
    progress: ProgressCallback | None,
) -> int | None:
    """The portable path (SQLite, and .xlsx everywhere): every row read by `parse_row`."""
    header = next(rows, None)
    if header is None:
        raise UnreadableFile(_("The file is empty."))
    keys = map_header(header, errors)
    if errors.count:
        return None
    return staging.stage_parsed(enumerate(rows, start=2), keys, batch, errors, progress)


def _report(errors: ErrorList, rows: QuerySet, column: str, message: Callable[..., str]) -> None:
    for values in rows.iterator(chunk_size=2000):
        errors.add(values["row_number"], errors.column(column), message(values))


def _check_references(batch: SalesImport, errors: ErrorList) -> None:
    """Everything that compares rows with each other or with the database, set-based."""
    staged = SalesStagingLine.objects.filter(batch=batch)
    for column, model in (("partner_code", Partner), ("category_code", Category)):
        unknown = staged.exclude(**{column: ""}).exclude(
            **{f"{column}__in": model.objects.values("code")}
        )
        _report(
            errors,
            unknown.values("row_number", column),
            column,
            lambda v, c=column: _("Unknown code “%(code)s”.") % {"code": v[c]},
        )
    unknown_products = staged.exclude(product_code="").exclude(
        product_code__in=Product.objects.values("code")
    )
    _report(
        errors,
        unknown_products.values("row_number", "product_code"),
        "product_code",
        lambda v: _("Unknown code “%(code)s”.") % {"code": v["product_code"]},
    )
    _check_duplicates(staged, errors)
    _check_changed_lines(batch, staged, errors)
    _check_credit_notes(batch, staged, errors)


def _check_duplicates(staged: QuerySet, errors: ErrorList) -> None:
    groups = (
        staged.exclude(line_number=None)
        .values("doc_number", "line_number")
        .annotate(copies=Count("id"), first=Min("row_number"))
        .filter(copies__gt=1)
    )
    first_rows = {(g["doc_number"], g["line_number"]): g["first"] for g in groups}
    if not first_rows:
        return
    for row in staged.filter(doc_number__in={doc for doc, _line in first_rows}).values(
        "row_number", "doc_number", "line_number"
    ):
        first = first_rows.get((row["doc_number"], row["line_number"]))
        if first is not None and row["row_number"] != first:
            errors.add(
                row["row_number"],
                errors.column("line_number"),
                _("Document %(doc)s line %(line)s is also on row %(first)d.")
                % {"doc": row["doc_number"], "line": row["line_number"], "first": first},
            )


def _check_changed_lines(batch: SalesImport, staged: QuerySet, errors: ErrorList) -> None:
    """A line imported before may come again unchanged (skipped), never with other values."""
    same_key = SalesLine.objects.filter(
        source=batch.source,
        doc_number=OuterRef("doc_number"),
        line_number=OuterRef("line_number"),
    )
    identical = same_key.annotate(product_key=Coalesce("product__code", Value(""))).filter(
        doc_type=OuterRef("doc_type"),
        date=OuterRef("date"),
        partner__code=OuterRef("partner_code"),
        category__code=OuterRef("category_code"),
        product_key=OuterRef("product_code"),
        quantity=OuterRef("quantity"),
        net_amount=OuterRef("net_amount"),
        credited_doc_number=OuterRef("credited_doc_number"),
    )
    changed = staged.filter(Exists(same_key), ~Exists(identical))
    _report(
        errors,
        changed.values("row_number", "doc_number", "line_number"),
        "doc_number",
        lambda v: (
            _(
                "Document %(doc)s line %(line)s was imported before with other values; "
                "lines are facts: correct them with a credit note."
            )
            % {"doc": v["doc_number"], "line": v["line_number"]}
        ),
    )


def _check_credit_notes(batch: SalesImport, staged: QuerySet, errors: ErrorList) -> None:
    """A credit note credits a known invoice (in this file or imported before) and belongs
    to that invoice's partner."""
    in_file = SalesStagingLine.objects.filter(
        batch=batch, doc_type=DocType.INVOICE, doc_number=OuterRef("credited_doc_number")
    ).values("partner_code")[:1]
    in_database = SalesLine.objects.filter(
        source=batch.source, doc_type=DocType.INVOICE, doc_number=OuterRef("credited_doc_number")
    ).values("partner__code")[:1]
    named = staged.filter(doc_type=DocType.CREDIT_NOTE).exclude(credited_doc_number="")
    credit_notes = named.annotate(
        invoice_partner=Coalesce(Subquery(in_file), Subquery(in_database))
    )
    _report(
        errors,
        credit_notes.filter(invoice_partner=None).values("row_number", "credited_doc_number"),
        "credited_doc_number",
        lambda v: _("Unknown invoice “%(doc)s”.") % {"doc": v["credited_doc_number"]},
    )
    _report(
        errors,
        credit_notes.exclude(invoice_partner=None)
        .exclude(invoice_partner=F("partner_code"))
        .values("row_number", "invoice_partner"),
        "partner_code",
        lambda v: (
            _("The credited invoice belongs to partner %(code)s.") % {"code": v["invoice_partner"]}
        ),
    )


INSERT_CHUNK_ROWS = 250_000


def _insert_lines(batch: SalesImport) -> int:
    """The new lines, by INSERT … SELECT statements that resolve the codes by joins
    (portable SQL), in chunks of staging rows. On PostgreSQL the foreign keys are checked at
    the end of each statement rather than at commit, so the server's queue of pending checks
    stays small whatever the file's size; rows go in sorted by (partner, date), the order of
    the index that costs most to keep."""
    line, staging = SalesLine._meta.db_table, SalesStagingLine._meta.db_table
    partner, category, product = (
        Partner._meta.db_table,
        Category._meta.db_table,
        Product._meta.db_table,
    )
    sql = f"""
        INSERT INTO {line} (source, doc_type, doc_number, line_number, date, partner_id,
                            category_id, product_id, quantity, net_amount,
                            credited_doc_number, import_batch_id)
        SELECT %s, s.doc_type, s.doc_number, s.line_number, s.date, p.id, c.id, pr.id,
               s.quantity, s.net_amount, s.credited_doc_number, %s
        FROM {staging} s
        JOIN {partner} p ON p.code = s.partner_code
        JOIN {category} c ON c.code = s.category_code
        LEFT JOIN {product} pr ON pr.code = s.product_code
        WHERE s.batch_id = %s AND s.row_number BETWEEN %s AND %s
          AND NOT EXISTS (SELECT 1 FROM {line} l WHERE l.source = %s
                          AND l.doc_number = s.doc_number AND l.line_number = s.line_number)
        ORDER BY p.id, s.date
    """  # noqa: S608 (table names come from the models, values are parameters)
    inserted = 0
    with connection.cursor() as cursor, _foreign_keys_checked_per_statement(cursor, line):
        cursor.execute(
            f"SELECT min(row_number), max(row_number) FROM {staging} WHERE batch_id = %s",  # noqa: S608
            [batch.pk],
        )
        first, last = cursor.fetchone()
        for start in range(first or 0, (last or -1) + 1, INSERT_CHUNK_ROWS):
            end = start + INSERT_CHUNK_ROWS - 1
            cursor.execute(sql, [batch.source, batch.pk, batch.pk, start, end, batch.source])
            inserted += cursor.rowcount
    return inserted


@contextmanager
def _foreign_keys_checked_per_statement(cursor: Any, table: str) -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield
        return
    constraints = connection.introspection.get_constraints(cursor, table)
    names = ", ".join(
        connection.ops.quote_name(name)
        for name, details in constraints.items()
        if details["foreign_key"]
    )
    cursor.execute("SET LOCAL work_mem = '256MB'")  # the sort of a chunk stays in memory
    cursor.execute(f"SET CONSTRAINTS {names} IMMEDIATE")
    try:
        yield
    finally:
        cursor.execute(f"SET CONSTRAINTS {names} DEFERRED")
