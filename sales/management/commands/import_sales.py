import shutil
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
            progress=self._progress_bar() if options["progress"] else None,
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
        if options["errors"] and batch.error_report:
            with batch.error_report.open("rb") as report, open(str(options["errors"]), "wb") as out:
                shutil.copyfileobj(report, out)
        for error in batch.errors[:50]:
            self.stderr.write(f"row {error['row']}, {error['column'] or '—'}: {error['message']}")
        raise CommandError(
            f"{batch.error_count} errors in {batch.row_count} rows; nothing was imported."
        )

    def _progress_bar(self) -> Callable[[int, float | None], None]:
        def show(rows: int, fraction: float | None) -> None:
            if fraction is None:  # a workbook: rows are counted, the total is unknown
                sys.stderr.write(f"\r{rows} rows read")
            else:
                bar = "#" * int(fraction * 40)
                done = f"{rows} rows, checking" if fraction >= 1 else f"{fraction:.0%}"
                sys.stderr.write(f"\r[{bar:<40}] {done}")
            sys.stderr.flush()

        return show
