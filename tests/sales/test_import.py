import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection

from sales.choices import DocType, ImportStatus
from sales.models import SalesLine
from sales.services import import_sales
from tests.factories import CategoryFactory, PartnerFactory, ProductFactory

HEADER = "单据类型,单据号,行号,日期,渠道编码,品类编码,产品编码,数量,净额,原发票号"


@pytest.fixture
def catalogue(db):
    PartnerFactory(code="GZ01")
    PartnerFactory(code="HZ02")
    CategoryFactory(code="PC")
    ProductFactory(code="SKU-1", category=CategoryFactory(code="ACC"))


def write(tmp_path, rows, *, header=HEADER, encoding="utf-8", name="sales.csv"):
    path = tmp_path / name
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return str(path)


def run(path, source="erp"):
    return import_sales(path, file_name="sales.csv", imported_by=None, source=source)


def plain(line):
    """The row with the doc types' own names: the form the PostgreSQL path casts in SQL."""
    return line.replace("红字发票,", "credit_note,").replace("发票,", "invoice,")


def errors_of(batch):
    return [(error["row"], error["column"]) for error in batch.errors]


GOOD = [
    "发票,INV-1,1,2026-07-01,GZ01,PC,,10,1000.00,",
    "invoice,INV-1,2,2026-07-01,GZ01,ACC,SKU-1,2.5,99.99,",
    "invoice,INV-2,1,2026/08/15,HZ02,PC,,1,500,",
    "红字发票,CN-1,1,2026-09-30,GZ01,PC,,1,100.00,INV-1",
]


def test_a_valid_file_is_imported_with_signs_and_attribution(tmp_path, catalogue):
    batch = run(write(tmp_path, GOOD))

    assert (batch.status, batch.row_count, batch.inserted_count) == (ImportStatus.IMPORTED, 4, 4)
    assert SalesLine.objects.filter(partner__code="GZ01").net_sales() == {
        "net_amount": Decimal("999.99"),  # 1000.00 + 99.99 − 100.00
        "net_quantity": Decimal("11.500"),
    }
    credit = SalesLine.objects.get(doc_number="CN-1")
    assert (credit.doc_type, credit.credited_doc_number, credit.partner.code) == (
        DocType.CREDIT_NOTE,
        "INV-1",
        "GZ01",
    )
    assert SalesLine.objects.get(doc_number="INV-1", line_number=2).product.code == "SKU-1"


def test_importing_the_same_file_again_adds_nothing(tmp_path, catalogue):
    path = write(tmp_path, GOOD)
    run(path)

    again = run(path)

    assert (again.status, again.inserted_count, again.skipped_count) == (
        ImportStatus.IMPORTED,
        0,
        4,
    )
    assert SalesLine.objects.count() == 4


def test_a_file_with_new_and_known_lines_adds_only_the_new_ones(tmp_path, catalogue):
    run(write(tmp_path, GOOD[:2]))
    batch = run(write(tmp_path, GOOD))
    assert (batch.inserted_count, batch.skipped_count) == (2, 2)


def test_a_known_line_with_other_values_is_refused_and_nothing_is_written(tmp_path, catalogue):
    run(write(tmp_path, GOOD[:1]))
    changed = [GOOD[0].replace("1000.00", "1200.00"), GOOD[2]]

    batch = run(write(tmp_path, changed))

    assert errors_of(batch) == [(2, "单据号")]
    assert SalesLine.objects.count() == 1


def test_a_gbk_file_imports(tmp_path, catalogue):
    batch = run(write(tmp_path, GOOD, encoding="gbk"))
    assert (batch.status, batch.inserted_count) == (ImportStatus.IMPORTED, 4)


def test_an_xlsx_file_imports(tmp_path, catalogue):
    workbook = openpyxl.Workbook()
    workbook.active.append(HEADER.split(","))
    for row in GOOD:
        workbook.active.append(row.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    path = tmp_path / "sales.xlsx"
    path.write_bytes(buffer.getvalue())
    assert run(str(path)).inserted_count == 4


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("发票,INV-9,1,2026-07-01,NOPE,PC,,1,10,", "渠道编码"),  # unknown partner
        ("发票,INV-9,1,2026-07-01,GZ01,NOPE,,1,10,", "品类编码"),  # unknown category
        ("发票,INV-9,1,2026-07-01,GZ01,PC,NOPE,1,10,", "产品编码"),  # unknown product
        ("发票,INV-9,1,2026-13-01,GZ01,PC,,1,10,", "日期"),  # bad date
        ("发票,INV-9,1,2026-07-01,GZ01,PC,,1,-10,", "净额"),  # negative amount
        ("发票,INV-9,1,2026-07-01,GZ01,PC,,-1,10,", "数量"),  # negative quantity
        ("发票,INV-9,1,2026-07-01,GZ01,PC,,1,10.005,", "净额"),  # a third decimal
        ("发票,INV-9,1,2026-07-01,GZ01,PC,,1,abc,", "净额"),  # not a number
        ("退货,INV-9,1,2026-07-01,GZ01,PC,,1,10,", "单据类型"),  # unknown doc type
        ("发票,INV-9,x,2026-07-01,GZ01,PC,,1,10,", "行号"),  # bad line number
        ("发票,,1,2026-07-01,GZ01,PC,,1,10,", "单据号"),  # missing doc number
        ("红字发票,CN-9,1,2026-07-01,GZ01,PC,,1,10,", "原发票号"),  # credit note without invoice
        ("发票,INV-9,1,2026-07-01,GZ01,PC,,1,10,INV-1", "原发票号"),  # invoice naming one
        ("红字发票,CN-9,1,2026-07-01,GZ01,PC,,1,10,INV-404", "原发票号"),  # unknown invoice
        ("红字发票,CN-9,1,2026-07-01,HZ02,PC,,1,10,INV-1", "渠道编码"),  # other partner's invoice
        ("发票,INV-1,1,2026-07-01,GZ01,PC,,1,10,", "行号"),  # duplicate of row 2
    ],
)
@pytest.mark.parametrize("doc_type_names", ["chinese", "english"])
def test_each_kind_of_bad_row_is_reported_and_nothing_is_written(
    tmp_path, catalogue, row, column, doc_type_names
):
    rows = [GOOD[0], row]
    if doc_type_names == "english":  # plain rows: staged by the SQL casts, not parse_row
        rows = [plain(line) for line in rows]
    batch = run(write(tmp_path, rows))
    assert (batch.status, errors_of(batch)) == (ImportStatus.INVALID, [(3, column)])
    assert SalesLine.objects.count() == 0


def test_a_credit_note_may_credit_an_invoice_imported_earlier(tmp_path, catalogue):
    run(write(tmp_path, GOOD[:1]))
    batch = run(write(tmp_path, [GOOD[3]]))
    assert batch.inserted_count == 1


def test_a_credit_note_cannot_credit_an_invoice_of_another_source(tmp_path, catalogue):
    run(write(tmp_path, GOOD[:1]), source="erp")
    batch = run(write(tmp_path, [GOOD[3]]), source="shop")
    assert errors_of(batch) == [(2, "原发票号")]


def test_missing_and_unknown_columns_are_reported_on_row_1(tmp_path, catalogue):
    batch = run(write(tmp_path, ["x"], header="单据号,颜色"))
    assert {column for _row, column in errors_of(batch)} >= {"颜色", "日期", "净额", "渠道编码"}
    assert {row for row, _column in errors_of(batch)} == {1}


def test_an_unreadable_file_is_one_clear_error(tmp_path, catalogue):
    path = tmp_path / "sales.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    batch = run(str(path))
    assert (batch.status, batch.error_count) == (ImportStatus.INVALID, 1)


def test_the_command_reports_errors_to_a_file_and_fails(tmp_path, catalogue, capsys):
    report = tmp_path / "errors.csv"
    bad = write(tmp_path, [GOOD[0], "发票,INV-9,1,2026-07-01,NOPE,PC,,1,10,"])

    with pytest.raises(CommandError, match="1 errors"):
        call_command("import_sales", bad, "--errors", str(report))

    assert "NOPE" in report.read_text(encoding="utf-8-sig")
    assert SalesLine.objects.count() == 0


def test_the_command_imports_with_a_progress_bar(tmp_path, catalogue, capsys):
    call_command("import_sales", write(tmp_path, GOOD), "--progress", "--source", "erp")
    out, err = capsys.readouterr()
    assert "4 lines added" in out
    assert "4 rows" in err


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE sales_salesline SET net_amount = -1",
        "UPDATE sales_salesline SET quantity = -1",
        "UPDATE sales_salesline SET credited_doc_number = ''",
        "UPDATE sales_salesline SET doc_number = 'INV-1', line_number = 1",
    ],
)
def test_the_database_refuses_impossible_lines(tmp_path, catalogue, sql):
    run(write(tmp_path, GOOD))
    with pytest.raises(IntegrityError), connection.cursor() as cursor:
        cursor.execute(sql + " WHERE doc_number = 'CN-1'")


def test_sales_lines_follow_partner_visibility(tmp_path, catalogue, manager, vp):
    from partners.models import Partner

    Partner.objects.filter(code="GZ01").update(owner=manager)
    run(write(tmp_path, GOOD))
    assert set(SalesLine.objects.visible_to(manager).values_list("partner__code", flat=True)) == {
        "GZ01"
    }
    assert SalesLine.objects.visible_to(vp).count() == 4


@pytest.fixture
def portable_path(monkeypatch):
    """Stage through `parse_row` for every row, as on SQLite."""
    monkeypatch.setattr("sales.services.csv_format", lambda path: None)


def lines_as_tuples():
    return sorted(
        SalesLine.objects.values_list(
            "doc_type", "doc_number", "line_number", "date", "partner__code", "category__code",
            "product__code", "quantity", "net_amount", "credited_doc_number",
        )
    )  # fmt: skip


MIXED = [
    plain(GOOD[0]),
    "",  # a blank line keeps the row numbers of the file
    GOOD[1],
    "invoice,INV-2,1,2026/08/15,HZ02,PC,,1,500,",  # another date format
    'invoice,INV-3,1,2024-02-29,HZ02,PC,,"1,000",12.5,',  # a leap day, a thousands separator
    plain(GOOD[3]),
    ",,,,,,,,,",
    " invoice , INV-4 ,1,2026-07-02,GZ01,PC,,3,30.00,",  # spaces around cells
    "   ",  # a line of blanks
]


def test_the_postgresql_path_and_the_portable_path_import_the_same_lines(
    tmp_path, catalogue, monkeypatch
):
    path = write(tmp_path, MIXED)
    fast = run(path)
    fast_lines = lines_as_tuples()
    SalesLine.objects.all().delete()

    monkeypatch.setattr("sales.services.csv_format", lambda path: None)
    portable = run(path)

    assert (fast.status, fast.row_count, fast.inserted_count) == (ImportStatus.IMPORTED, 6, 6)
    assert (portable.row_count, portable.inserted_count) == (6, 6)
    assert lines_as_tuples() == fast_lines
    leap_day = next(line for line in fast_lines if line[1] == "INV-3")
    assert (leap_day[3], leap_day[7]) == (date(2024, 2, 29), Decimal("1000.000"))


BAD = [
    "invoice,INV-1,1,2026-02-30,GZ01,PC,,1,10,",  # no such day
    "",
    "invoice,INV-2,1,2026-07-01,NOPE,PC,,1,10,",
    "invoice,INV-3,1,2026-07-01,GZ01,PC,,1.0001,10,",
    "credit_note,CN-1,1,2026-07-01,GZ01,PC,,1,10,",
    "invoice,INV-2,1,2026-07-01,NOPE,PC,,1,10,",
    "invoice,INV-4,1,0000-01-01,GZ01,PC,,1,10,",
    "invoice,INV-5,1,2026-1-011,GZ01,PC,,1,10,",  # ten characters, two dashes, not a date
]


def test_both_paths_report_the_same_errors(tmp_path, catalogue, monkeypatch):
    path = write(tmp_path, BAD)
    fast = run(path)
    monkeypatch.setattr("sales.services.csv_format", lambda path: None)
    portable = run(path)

    assert fast.errors == portable.errors
    assert errors_of(fast) == [
        (2, "日期"), (4, "渠道编码"), (5, "数量"), (6, "原发票号"),
        (7, "渠道编码"), (7, "行号"), (8, "日期"), (9, "日期"),
    ]  # fmt: skip


def test_a_row_with_too_few_cells_names_its_row(tmp_path, catalogue):
    batch = run(write(tmp_path, [plain(GOOD[0]), "", "invoice,INV-2,1"]))
    assert errors_of(batch) == [(4, "")]
    assert batch.errors[0]["message"] == "该行的单元格少于表头的列数。"


def test_a_semicolon_separated_gbk_file_imports(tmp_path, catalogue):
    rows = [plain(line).replace(",", ";") for line in GOOD]
    batch = run(write(tmp_path, rows, header=HEADER.replace(",", ";"), encoding="gbk"))
    assert (batch.status, batch.inserted_count) == (ImportStatus.IMPORTED, 4)


def test_a_byte_that_is_not_utf8_after_the_first_64_kib_names_its_row(tmp_path, catalogue):
    rows = [f"invoice,INV-{n},1,2026-07-01,GZ01,PC,,1,10," for n in range(2000)]
    path = tmp_path / "sales.csv"
    content = ("\n".join([HEADER, *rows]) + "\n").encode() + b"\xff,\n"
    assert len(content) > 65536  # beyond what the encoding is sniffed from
    path.write_bytes(content)
    batch = run(str(path))
    assert (batch.status, errors_of(batch)) == (ImportStatus.INVALID, [(2002, "")])
    assert "GBK" in batch.errors[0]["message"]
