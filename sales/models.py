"""Sales facts: the product catalogue and one row per invoice or credit-note line."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import DocType, ImportStatus
from .querysets import CategoryQuerySet, SalesLineQuerySet

DEFAULT_SOURCE = "default"


class Category(models.Model):
    """A product category; categories form a tree of any depth. `path` ("/1/4/9/") is the
    chain of ids from the root, kept by `services.save_category`, so a subtree is one
    prefix match."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        on_delete=models.PROTECT,
        related_name="children",
        null=True,
        blank=True,
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)

    history = HistoricalRecords()
    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    @property
    def indented_name(self) -> str:
        """For lists in tree order."""
        return f"{'— ' * self.depth}{self.name}"


class Product(models.Model):
    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="products"
    )
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SalesImport(models.Model):
    """One run of the sales import: who, which file, and how it ended (with the errors)."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    file_name = models.CharField(_("file name"), max_length=255)
    source = models.CharField(_("source"), max_length=30, default=DEFAULT_SOURCE)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.RUNNING
    )
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    inserted_count = models.PositiveIntegerField(_("lines added"), default=0)
    skipped_count = models.PositiveIntegerField(_("lines already there"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("errors (first 1000)"), default=list, blank=True)
    stored_file = models.FileField(_("uploaded file"), upload_to="sales-imports/", blank=True)
    error_report = models.FileField(_("error report"), upload_to="sales-import-errors/", blank=True)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sales import")
        verbose_name_plural = _("sales imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING)


class SalesLine(models.Model):
    """One invoice line or credit-note line. Amounts are never negative: the sign comes from
    `doc_type`. A credit note names the invoice it credits and belongs to that invoice's
    partner. Lines are facts: a correction is a new credit note, never an edit."""

    source = models.CharField(_("source"), max_length=30, default=DEFAULT_SOURCE)
    doc_type = models.CharField(_("document type"), max_length=20, choices=DocType.choices)
    doc_number = models.CharField(_("document number"), max_length=50)
    line_number = models.PositiveIntegerField(_("line"))
    date = models.DateField(_("date"))
    # Every index costs time on each imported line: the partner's is the leading column of
    # (partner, date); categories and products are never deleted, so theirs would only serve
    # the rare PROTECT check.
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="sales_lines",
        db_index=False,
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
    )
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    net_amount = models.DecimalField(_("net amount"), max_digits=14, decimal_places=2)
    credited_doc_number = models.CharField(_("credited invoice"), max_length=50, blank=True)
    import_batch = models.ForeignKey(
        SalesImport,
        verbose_name=_("import"),
        on_delete=models.PROTECT,
        related_name="lines",
        null=True,
        blank=True,
    )

    objects = SalesLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("sales line")
        verbose_name_plural = _("sales lines")
        permissions = [("import_salesline", _("Can import sales lines"))]
        ordering = ["-date", "doc_number", "line_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "doc_number", "line_number"], name="salesline_unique_per_source"
            ),
            models.CheckConstraint(condition=Q(net_amount__gte=0), name="salesline_amount_gte_0"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="salesline_quantity_gte_0"),
            models.CheckConstraint(
                condition=(Q(doc_type=DocType.INVOICE) & Q(credited_doc_number=""))
                | (Q(doc_type=DocType.CREDIT_NOTE) & ~Q(credited_doc_number="")),
                name="salesline_credit_note_names_its_invoice",
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "date"], name="salesline_partner_date"),
            models.Index(fields=["date"], name="salesline_date"),
        ]

    def __str__(self) -> str:
        return f"{self.doc_number}/{self.line_number}"


class SalesStagingLine(models.Model):
    """A file's rows while an import validates them set-based; emptied when it ends.
    Typed columns are empty where the cell could not be read (that error is already noted)."""

    # No database constraint or index of its own: a row lives only inside its import's
    # transaction, and (batch, doc_number, line_number) below serves the lookups by batch.
    batch = models.ForeignKey(
        SalesImport,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    row_number = models.PositiveIntegerField()
    doc_type = models.CharField(max_length=20, blank=True)
    doc_number = models.CharField(max_length=50, blank=True)
    line_number = models.PositiveIntegerField(null=True)
    date = models.DateField(null=True)
    partner_code = models.CharField(max_length=30, blank=True)
    category_code = models.CharField(max_length=30, blank=True)
    product_code = models.CharField(max_length=50, blank=True)
    quantity = models.DecimalField(max_digits=14, decimal_places=3, null=True)
    net_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    credited_doc_number = models.CharField(max_length=50, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["batch", "doc_number", "line_number"], name="staging_doc_line")
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row_number}"


class SalesTarget(models.Model):
    """An annual target agreement (年度目标协议) for a partner, for all its sales or for one
    category, split into quarters (even by default). Every change is kept with who/when."""

    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="sales_targets",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Empty: the target covers all categories."),
    )
    amount = models.DecimalField(_("annual target"), max_digits=14, decimal_places=2)
    q1 = models.DecimalField(_("Q1"), max_digits=14, decimal_places=2)
    q2 = models.DecimalField(_("Q2"), max_digits=14, decimal_places=2)
    q3 = models.DecimalField(_("Q3"), max_digits=14, decimal_places=2)
    q4 = models.DecimalField(_("Q4"), max_digits=14, decimal_places=2)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        ordering = ["-year", "partner"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "year"],
                condition=Q(category__isnull=True),
                name="target_one_total_per_partner_year",
            ),
            models.UniqueConstraint(
                fields=["partner", "year", "category"],
                condition=Q(category__isnull=False),
                name="target_one_per_partner_year_category",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="target_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(q1__gte=0, q2__gte=0, q3__gte=0, q4__gte=0),
                name="target_quarters_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(
                    amount=models.F("q1") + models.F("q2") + models.F("q3") + models.F("q4")
                ),
                name="target_quarters_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.year}: {self.amount}"

    def quarter_amount(self, quarter: int) -> Decimal:
        return (self.q1, self.q2, self.q3, self.q4)[quarter - 1]
