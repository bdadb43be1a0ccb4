"""Putting a file's sales lines into the staging table. A CSV on PostgreSQL is staged
without reading it row by row in Python:

The file's bytes go to the server with COPY into a temporary table of text cells; one
INSERT … SELECT moves every row written the usual way (ISO dates, plain numbers, the doc
types' own names) into the staging table with SQL casts. Only the other rows — other date
or number formats, Chinese doc-type names, or errors — are read in Python by
`importing.parse_row`, the same function the portable path uses, so both paths accept the
same files and word their errors the same way.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import psycopg
from django.db import connection
from django.utils.translation import gettext as _

from channelhub.lib.bulk import insert_rows
from channelhub.lib.tabular import CsvFormat, UnreadableFile

from .importing import COLUMNS, ErrorList, cell_text, map_header, parse_row
from .models import SalesImport, SalesStagingLine

CHUNK_BYTES = 1 << 20
PARSED_CHUNK = 5000
RAW_TABLE = "sales_import_raw"
BLANK_LINE = re.compile(rb"(?m)^[ \t]*\r?\n")

# What Python's str.strip() removes: a cell is "trimmed" when btrim with these leaves it as is.
WHITESPACE = (
    "U&'"
    + "".join(f"\\{ord(char):04X}" for char in map(chr, range(0x3001)) if char.isspace())
    + "'"
)

# A row is "plain" when every cell is in the form the INSERT … SELECT below converts with
# casts; `parse_row` would read such a row to exactly the same values, with no error.
# No regular expressions (they were the costly part): digits are checked by deleting them
# with translate(), an ISO date's day is compared with its month's length as text (date
# arithmetic would raise on a bad date and stop the statement).
DIGITS = "'0123456789'"
PLAIN_ROW = """
    {doc_type} IN ('invoice', 'credit_note')
    AND {doc_number} <> '' AND length({doc_number}) <= 50
    AND btrim({doc_number}, {ws}) = {doc_number}
    AND length({line_number}) BETWEEN 1 AND 9 AND translate({line_number}, {digits}, '') = ''
    AND length({date}) = 10 AND translate({date}, {digits}, '') = '--'
    AND substr({date}, 5, 1) = '-' AND substr({date}, 8, 1) = '-' AND left({date}, 4) <> '0000'
    AND substr({date}, 6, 2) BETWEEN '01' AND '12'
    AND right({date}, 2) BETWEEN '01' AND CASE substr({date}, 6, 2)
        WHEN '02' THEN CASE WHEN mod(left({date}, 4)::int, 4) = 0
                             AND (mod(left({date}, 4)::int, 100) <> 0
                                  OR mod(left({date}, 4)::int, 400) = 0)
                            THEN '29' ELSE '28' END
        WHEN '04' THEN '30' WHEN '06' THEN '30' WHEN '09' THEN '30' WHEN '11' THEN '30'
        ELSE '31' END
    AND {partner_code} <> '' AND length({partner_code}) <= 30
    AND btrim({partner_code}, {ws}) = {partner_code}
    AND {category_code} <> '' AND length({category_code}) <= 30
    AND btrim({category_code}, {ws}) = {category_code}
    AND length({product_code}) <= 50 AND btrim({product_code}, {ws}) = {product_code}
    AND {quantity_plain} AND {amount_plain}
    AND CASE WHEN {doc_type} = 'invoice' THEN {credited_doc_number} = ''
             ELSE {credited_doc_number} <> '' AND length({credited_doc_number}) <= 50
                  AND btrim({credited_doc_number}, {ws}) = {credited_doc_number}
        END
"""


def plain_number(cell: str, places: int) -> str:
    """SQL: the cell is digits (at most 11) with an optional point and at most `places`
    decimals — a form `numeric` takes and `parse_row` reads the same."""
    return (
        f"(translate({cell}, {DIGITS}, '') IN ('', '.') AND {cell} <> '' "
        f"AND left({cell}, 1) <> '.' AND CASE strpos({cell}, '.') "
        f"WHEN 0 THEN length({cell}) <= 11 "
        f"ELSE strpos({cell}, '.') <= 12 AND length({cell}) - strpos({cell}, '.') <= {places} END)"
    )


def copy_csv(
    path: str,
    file_format: CsvFormat,
    batch: SalesImport,
    errors: ErrorList,
    progress: Callable[[int, float | None], None] | None,
) -> int | None:
    """Stage the file's rows; the number of data rows, or None when the header is wrong
    (the errors say why)."""
    header = _read_header(path, file_format)
    keys = map_header(header, errors)
    if errors.count:
        return None
    positions = {key: index for index, key in enumerate(keys) if key}
    cells = {
        key: f"coalesce(c{positions[key]}, '')" if key in positions else "''" for key in COLUMNS
    }
    with connection.cursor() as cursor:
        columns = ", ".join(f"c{index} text" for index in range(len(keys)))
        cursor.execute(
            f"CREATE TEMP TABLE {RAW_TABLE} (n bigint GENERATED ALWAYS AS IDENTITY, {columns})"
            " ON COMMIT DROP"
        )
        _copy_file(cursor, path, file_format, len(keys), errors, progress)
        if errors.count:
            return None
        plain = PLAIN_ROW.format(
            ws=WHITESPACE,
            digits=DIGITS,
            quantity_plain=plain_number(cells["quantity"], 3),
            amount_plain=plain_number(cells["net_amount"], 2),
            **cells,
        )
        staging = SalesStagingLine._meta.db_table
        cursor.execute(
            f"""
            INSERT INTO {staging} (batch_id, row_number, doc_type, doc_number, line_number,
                                   date, partner_code, category_code, product_code, quantity,
                                   net_amount, credited_doc_number)
            SELECT %s, n + 1, {cells["doc_type"]}, {cells["doc_number"]},
                   {cells["line_number"]}::int, {cells["date"]}::date, {cells["partner_code"]},
                   {cells["category_code"]}, {cells["product_code"]},
                   {cells["quantity"]}::numeric, {cells["net_amount"]}::numeric,
                   {cells["credited_doc_number"]}
            FROM {RAW_TABLE} WHERE {plain}
            """,  # noqa: S608 (column expressions are built here, values are parameters)
            [batch.pk],
        )
        staged = cursor.rowcount
        cursor.execute(f"SELECT count(*) FROM {RAW_TABLE}")  # noqa: S608
        (rows,) = cursor.fetchone()
    if staged < rows:
        staged += _stage_other_rows(keys, batch, errors)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {RAW_TABLE}")
    return staged


def _read_header(path: str, file_format: CsvFormat) -> list[str]:
    with open(path, encoding=file_format.encoding, newline="", errors="replace") as text:
        reader = csv.reader(text, file_format.dialect)
        header = next(reader, None)
    if header is None:
        raise UnreadableFile(_("The file is empty."))
    return header


def _file_blocks(path: str, progress: Callable[[float], None]) -> Iterator[bytes]:
    """The file in blocks that end at a line end. A blank line becomes a line of empty cells,
    which COPY accepts and the row count skips (as the portable path does), so the row
    numbers stay the file's."""
    with open(path, "rb") as handle:
        size = max(1, handle.seek(0, io.SEEK_END))
        handle.seek(0)
        rest = b""
        while block := handle.read(CHUNK_BYTES):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            if cut == 0 and len(block) < 16 * CHUNK_BYTES:  # "\r" line ends: let COPY split
                rest = block
                continue
            cut = cut or len(block)
            block, rest = block[:cut], block[cut:]
            yield block
            progress(handle.tell() / size)
        if rest:
            yield rest


def _copy_file(
    cursor: object,
    path: str,
    file_format: CsvFormat,
    width: int,
    errors: ErrorList,
    progress: Callable[[int, float | None], None] | None,
) -> None:
    filler = (file_format.dialect.delimiter * (width - 1)).encode("ascii") + b"\n"
    names = ", ".join(f"c{index}" for index in range(width))
    quote = (file_format.dialect.quotechar or '"').replace("'", "''")
    options = (
        f"FORMAT csv, HEADER true, DELIMITER '{file_format.dialect.delimiter}', "
        f"QUOTE '{quote}', ENCODING '{file_format.pg_encoding}'"
    )

    def report(fraction: float) -> None:
        if progress:
            progress(0, fraction)

    try:
        with cursor.cursor.copy(  # type: ignore[attr-defined]
            f"COPY {RAW_TABLE} ({names}) FROM STDIN WITH ({options})"
        ) as copy:
            for block in _file_blocks(path, report):
                copy.write(BLANK_LINE.sub(lambda _match: filler, block))
    except psycopg.errors.DataError as error:  # the bad line makes the whole COPY stop
        errors.add(_copy_error_line(error), "", _copy_error_message(error))


def _copy_error_line(error: psycopg.Error) -> int:
    match = re.search(r"line (\d+)", error.diag.context or "")
    return int(match.group(1)) if match else 0


def _copy_error_message(error: psycopg.Error) -> str:
    text = error.diag.message_primary or ""
    if text.startswith("missing data for column"):
        return _("The row has fewer cells than the header.")
    if text.startswith("extra data after last expected column"):
        return _("The row has more cells than the header.")
    if text.startswith("unterminated CSV quoted field"):
        return _("A quoted cell is not closed.")
    if "byte sequence" in text or "has no equivalent" in text:
        return _("The CSV file is neither UTF-8 nor GBK encoded.")
    return _("The row cannot be read: %(reason)s") % {"reason": text}


def _stage_other_rows(keys: list[str | None], batch: SalesImport, errors: ErrorList) -> int:
    """The rows the casts could not take (errors or other formats), read by `parse_row`,
    streamed from a server-side cursor."""
    names = ", ".join(f"r.c{index}" for index in range(len(keys)))
    staging = SalesStagingLine._meta.db_table
    with connection.chunked_cursor() as cursor:
        cursor.execute(
            f"""SELECT r.n + 1, {names} FROM {RAW_TABLE} r
                WHERE NOT EXISTS (SELECT 1 FROM {staging} s
                                  WHERE s.batch_id = %s AND s.row_number = r.n + 1)
                ORDER BY r.n""",  # noqa: S608
            [batch.pk],
        )
        return stage_parsed(((row[0], row[1:]) for row in cursor), keys, batch, errors)


def stage_parsed(
    numbered_rows: Iterable[tuple[int, Sequence[Any]]],
    keys: list[str | None],
    batch: SalesImport,
    errors: ErrorList,
    progress: Callable[[int, float | None], None] | None = None,
) -> int:
    """Rows read one by one by `parse_row` into the staging table (the portable path, and the
    rows the PostgreSQL casts leave); rows of empty cells are skipped. The number staged."""
    count = 0
    chunk: list[SalesStagingLine] = []
    for row_number, raw in numbered_rows:
        cells = {key: value for key, value in zip(keys, raw, strict=False) if key}
        if all(cell_text(value) == "" for value in cells.values()):
            continue  # a blank line, or one of empty or blank cells
        chunk.append(parse_row(row_number, cells, batch.pk, errors))
        count += 1
        if len(chunk) == PARSED_CHUNK:
            insert_rows(SalesStagingLine, chunk)
            chunk = []
            if progress:
                progress(count, None)
    insert_rows(SalesStagingLine, chunk)
    return count
