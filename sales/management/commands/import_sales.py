import csv
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sales.choices import ImportStatus
from sales.models import DEFAULT_SOURCE
from sales.services import import_sales


class Command(BaseCommand):
    help = (
        "Import sales lines (invoice and credit-note lines) from a .csv (UTF-8 or GBK) or .xlsx "
        "file, all or nothing. Lines already imported unchanged are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path of the .csv or .xlsx file")
        parser.add_argument(
            "--source", default=DEFAULT_SOURCE, help="the system the lines come from"
        )
        parser.add_argument("--progress", action="store_true", help="show a progress bar")
        parser.add_argument("--errors", metavar="CSV", help="write every error to this file")

    def handle(self, *args: object, **options: object) -> None:
        path = Path(str(options["file"]))
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        started = time.monotonic()
        batch = import_sales(
            str(path),
            file_name=path.name,
            imported_by=None,
            source=str(options["source"]),
            progress=self._progress_bar(path) if options["progress"] else None,
        )
        if options["progress"]:
            sys.stderr.write("\n")
        seconds = time.monotonic() - started
        if batch.status == ImportStatus.IMPORTED:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{batch.row_count} rows: {batch.inserted_count} lines added, "
                    f"{batch.skipped_count} already there ({seconds:.1f} s)."
                )
            )
            return
        errors = batch.all_errors  # type: ignore[attr-defined]
        if options["errors"]:
            with open(str(options["errors"]), "w", newline="", encoding="utf-8-sig") as report:
                writer = csv.writer(report)
                writer.writerow(["row", "column", "message"])
                writer.writerows(errors)
        for row, column, message in errors[:50]:
            self.stderr.write(f"row {row}, {column or '—'}: {message}")
        raise CommandError(
            f"{batch.error_count} errors in {batch.row_count} rows; nothing was imported."
        )

    def _progress_bar(self, path: Path) -> Callable[[int], None]:
        size = path.stat().st_size
        # An estimate from the file size: ~70 bytes a CSV row; xlsx rows are counted only.
        estimated_rows = max(1, size // 70)

        def show(rows: int) -> None:
            share = min(1.0, rows / estimated_rows)
            bar = "#" * int(share * 40)
            sys.stderr.write(f"\r[{bar:<40}] {rows} rows")
            sys.stderr.flush()

        return show
