"""Deterministic demo sales: a small catalogue and two years of invoice and credit-note
lines, streamed straight into COPY on PostgreSQL (10 000 000 lines stay memory-flat)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from django.db import connection, transaction

from channelhub.lib.bulk import analyze
from partners.choices import Tier
from partners.models import Partner

from .choices import DocType
from .models import Category, Product, SalesLine
from .services import save_category, save_product

CATALOGUE = {
    # top category: {subcategory: [(product name, price in CNY)]}
    ("HW", "硬件"): {
        ("HW-LT", "笔记本电脑"): [("轻薄本 14", 4999), ("商务本 15", 6299), ("工作站 16", 12999)],
        ("HW-DT", "台式机"): [("办公台式机", 3599), ("图形工作站", 15999)],
        ("HW-MN", "显示器"): [("27 英寸 2K", 1499), ("32 英寸 4K", 2999)],
    },
    ("SW", "软件"): {
        ("SW-OS", "操作系统"): [("专业版授权", 1288)],
        ("SW-OF", "办公软件"): [("办公套件年费", 498), ("协同平台年费", 2400)],
        ("SW-SC", "安全软件"): [("终端安全 100 点", 9800)],
    },
    ("SV", "服务"): {
        ("SV-IN", "安装实施"): [("上门安装", 300), ("机房实施", 5000)],
        ("SV-MA", "维保"): [("三年延保", 899), ("驻场运维月服务", 12000)],
    },
}
TIER_WEIGHT = {Tier.CORE: 8, Tier.REGULAR: 3, Tier.POTENTIAL: 1}
QUARTER_WEIGHT = {1: 8, 2: 10, 3: 10, 4: 13}  # Q1 is the slow quarter, Q4 the busy one
# Share of documents; credit notes have one line and invoices two on average, so about
# 3 % of the lines are credit-note lines.
CREDIT_NOTE_SHARE = 0.06
DAYS = 730


def ensure_demo_catalogue() -> list[tuple[int, int, int]]:
    """The demo catalogue (created once); returns (category id, product id, price cents)."""
    products = []
    for (top_code, top_name), children in CATALOGUE.items():
        top = Category.objects.filter(code=top_code).first() or save_category(
            Category(code=top_code, name=top_name), saved_by=None
        )
        for (code, name), items in children.items():
            category = Category.objects.filter(code=code).first() or save_category(
                Category(code=code, name=name, parent=top), saved_by=None
            )
            for number, (product_name, price) in enumerate(items, start=1):
                product_code = f"{code}-{number:02d}"
                product = Product.objects.filter(code=product_code).first() or save_product(
                    Product(code=product_code, name=product_name, category=category),
                    saved_by=None,
                )
                products.append((category.pk, product.pk, price * 100))
    return products


def _weighted_days(today: date) -> list[date]:
    days = []
    for offset in range(DAYS):
        day = today - timedelta(days=offset)
        days += [day] * QUARTER_WEIGHT[(day.month - 1) // 3 + 1]
    return days


def _amount(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _lines(seed: int, count: int, today: date) -> Iterator[tuple]:
    """(doc_type, doc_number, line, date, partner, category, product, quantity, amount,
    credited) tuples: invoices of 1–3 lines, ~3 % credit notes against earlier invoices.

    The queries run now, not lazily: the tuples are consumed inside a COPY, when the
    connection can run nothing else."""
    partners = Partner.objects.filter(code__startswith=f"D{seed}-").order_by("pk")
    slots = [
        pk
        for pk, tier in partners.values_list("pk", "tier")
        for _ in range(TIER_WEIGHT.get(tier, 1))
    ]
    products = ensure_demo_catalogue()
    return _generate(seed, count, today, slots, products) if slots else iter(())


def _generate(
    seed: int, count: int, today: date, slots: list[int], products: list[tuple]
) -> Iterator[tuple]:
    rng = random.Random(seed)
    days = _weighted_days(today)
    last_invoice: dict[int, tuple[str, date, list[tuple]]] = {}
    written = document = 0
    while written < count:
        document += 1
        partner = slots[int(rng.random() * len(slots))]
        earlier = last_invoice.get(partner)
        if earlier and rng.random() < CREDIT_NOTE_SHARE:
            invoice_number, invoice_day, invoice_lines = earlier
            day = min(today, invoice_day + timedelta(days=rng.randrange(1, 60)))
            category, product, quantity, cents = rng.choice(invoice_lines)
            returned = max(1, quantity // 2)
            yield (DocType.CREDIT_NOTE, f"CN{seed}-{document:08d}", 1, day, partner,
                   category, product, returned, _amount(cents * returned // quantity),
                   invoice_number)  # fmt: skip
            written += 1
            continue
        day = days[int(rng.random() * len(days))]
        number = f"INV{seed}-{document:08d}"
        sold = []
        for line in range(1, min(rng.randint(1, 3), count - written) + 1):
            category, product, price = products[int(rng.random() * len(products))]
            quantity = rng.randint(1, 20)
            cents = price * quantity * rng.randint(85, 100) // 100
            sold.append((category, product, quantity, cents))
            yield (DocType.INVOICE, number, line, day, partner, category, product, quantity,
                   _amount(cents), "")  # fmt: skip
            written += 1
        last_invoice[partner] = (number, day, sold)


COLUMNS = (
    "doc_type", "doc_number", "line_number", "date", "partner_id", "category_id",
    "product_id", "quantity", "net_amount", "credited_doc_number",
)  # fmt: skip


@transaction.atomic
def seed_sales(
    *, seed: int, lines: int, today: date, progress: Callable[[int], None] | None = None
) -> int:
    """Add `lines` demo sales lines for the demo partners of `seed`, once: a second run
    finds them (source "demo-<seed>") and adds nothing. Deterministic for a seed and day."""
    source = f"demo-{seed}"
    if lines <= 0 or SalesLine.objects.filter(source=source).exists():
        return 0
    rows = ((source, *line) for line in _lines(seed, lines, today))
    columns = ("source", *COLUMNS)
    written = 0
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(SalesLine._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for written, row in enumerate(rows, start=1):  # noqa: B007
                    copy.write_row(row)
                    if progress and written % 100_000 == 0:
                        progress(written)
    else:
        batch: list[SalesLine] = []
        for written, row in enumerate(rows, start=1):  # noqa: B007
            batch.append(SalesLine(**dict(zip(columns, row, strict=True))))
            if len(batch) == 5000:
                SalesLine.objects.bulk_create(batch)
                batch = []
        SalesLine.objects.bulk_create(batch)
    analyze(SalesLine)
    return written
