"""Reading and writing spreadsheets safely: .xlsx (openpyxl) and .csv (UTF-8 or GBK/GB18030)
in, with checks against hostile files before parsing; .xlsx (XlsxWriter) and .csv out, with
formula injection neutralised."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")
# Control characters an .xlsx (XML 1.0) cell cannot hold.
XLSX_ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class UnreadableFile(Exception):
    """The upload is not a spreadsheet we will read; the message says why, for the user."""


def _check_xlsx_container(content: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as error:
        raise UnreadableFile(_("The file is not a valid .xlsx workbook.")) from error
    names = {member.filename for member in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise UnreadableFile(_("The file is not a valid .xlsx workbook."))
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise UnreadableFile(_("Workbooks with macros are not accepted; save it as .xlsx."))
    uncompressed = sum(member.file_size for member in members)
    compressed = max(1, sum(member.compress_size for member in members))
    if uncompressed > MAX_UNCOMPRESSED_BYTES or uncompressed / compressed > MAX_COMPRESSION_RATIO:
        raise UnreadableFile(_("The workbook expands to too much data to be read safely."))


def _xlsx_rows(content: bytes) -> Iterator[list[Any]]:
    import openpyxl  # uses defusedxml when it is installed (it is: see pyproject)

    _check_xlsx_container(content)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for damaged files
        raise UnreadableFile(_("The workbook could not be read: it may be damaged.")) from error
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    except UnreadableFile:
        raise
    except Exception as error:  # a damaged cell deep in the sheet
        raise UnreadableFile(_("The workbook could not be read: it may be damaged.")) from error
    finally:
        workbook.close()


def decode_text(content: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030, the superset of GBK that Chinese Excel
    writes."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(_("The CSV file is neither UTF-8 nor GBK encoded."))


def _csv_rows(content: bytes) -> Iterator[list[Any]]:
    if b"\0" in content:
        raise UnreadableFile(_("The file is neither an .xlsx workbook nor a CSV text file."))
    text = decode_text(content)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    yield from csv.reader(io.StringIO(text), dialect)


def sniff_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) if the first bytes decode as UTF-8, else GB18030."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not just a character cut at the chunk's end
            return "gb18030"
    return "utf-8"


@dataclass(frozen=True)
class CsvFormat:
    encoding: str  # Python's name
    dialect: type[csv.Dialect] | csv.Dialect

    @property
    def pg_encoding(self) -> str:
        return "UTF8" if self.encoding.startswith("utf-8") else "GB18030"


def csv_format(path: str) -> CsvFormat | None:
    """How a CSV file on disk is written (encoding, delimiter); None for an .xlsx workbook.
    Raises UnreadableFile for anything else."""
    with open(path, "rb") as handle:
        head = handle.read(65536)
    if head.startswith(XLSX_MAGIC):
        return None
    if b"\0" in head:
        raise UnreadableFile(_("The file is neither an .xlsx workbook nor a CSV text file."))
    encoding = sniff_encoding(head)
    sample = head[:4096].decode(encoding, errors="ignore")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return CsvFormat(encoding=encoding, dialect=dialect)


def iter_file_rows(path: str) -> Iterator[list[Any]]:
    """Rows of a file on disk, streamed: memory stays flat whatever its size. The format is
    decided by the content (.xlsx or CSV in UTF-8/GBK)."""
    file_format = csv_format(path)
    if file_format is None:
        with open(path, "rb") as handle:
            content = handle.read()
        yield from _xlsx_rows(content)
        return
    with open(path, encoding=file_format.encoding, newline="") as text:
        try:
            for row in csv.reader(text, file_format.dialect):
                if any("\0" in cell for cell in row):
                    raise UnreadableFile(_("The CSV file contains NUL characters."))
                yield row
        except UnicodeDecodeError as error:
            raise UnreadableFile(_("The CSV file is neither UTF-8 nor GBK encoded.")) from error


def read_rows(content: bytes, file_name: str = "") -> list[list[Any]]:
    """All rows of the first sheet (or the CSV), header included, as lists of cell values.

    The format is decided by the content, not the file name."""
    if len(content) > settings.IMPORT_MAX_UPLOAD_BYTES:
        raise UnreadableFile(
            _("The file is larger than %(limit)d MB.")
            % {"limit": settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    if not content.strip():
        raise UnreadableFile(_("The file is empty."))
    if file_name.lower().endswith(".xls") and not content.startswith(XLSX_MAGIC):
        raise UnreadableFile(_("Old .xls workbooks are not accepted; save it as .xlsx."))
    rows_iter = _xlsx_rows(content) if content.startswith(XLSX_MAGIC) else _csv_rows(content)
    rows: list[list[Any]] = []
    limit = settings.IMPORT_MAX_ROWS + 1  # plus the header
    for row in rows_iter:
        if len(rows) >= limit:
            raise UnreadableFile(
                _("The file has more than %(limit)d rows; split it into smaller files.")
                % {"limit": settings.IMPORT_MAX_ROWS}
            )
        rows.append(row)
    return rows


def neutralise(value: Any) -> Any:
    """A spreadsheet cell that cannot run as a formula (a leading quote, OWASP advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def download(body: bytes, file_name: str) -> HttpResponse:
    """A file the browser saves (.csv or .xlsx, by the name's extension)."""
    response = HttpResponse(body, content_type=CONTENT_TYPES[file_name.rsplit(".", 1)[-1]])
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with BOM, so Excel in a Chinese locale opens it with the right characters."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow(["" if cell is None else neutralise(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(sheet_title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """XlsxWriter with formula, URL and number conversion off: "=…" is stored and shown as
    text, never evaluated. Rows stream through temporary files (constant memory)."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = workbook.add_worksheet(sheet_title[:31])
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    bold = workbook.add_format({"bold": True})
    for column, title in enumerate(header):
        sheet.write_string(0, column, XLSX_ILLEGAL_CHARACTERS.sub("", str(title)), bold)
    for row_number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, date):
                sheet.write_datetime(row_number, column, value, date_format)
            elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                sheet.write_number(row_number, column, value)
            else:
                sheet.write_string(row_number, column, XLSX_ILLEGAL_CHARACTERS.sub("", str(value)))
    workbook.close()
    return buffer.getvalue()
