from typing import Any

from django.core.management.base import BaseCommand

from dashboards.services import drain_queue
from dashboards.summary import rebuild


class Command(BaseCommand):
    help = (
        "Recompute every partner's dashboard summaries from the raw tables (the nightly job "
        "does the same); --queued recomputes only the partners waiting in the queue."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--queued", action="store_true", help="Only drain the queue.")

    def handle(self, *args: Any, queued: bool = False, **options: Any) -> None:
        if queued:
            self.stdout.write(f"{drain_queue()} partners recomputed.")
            return

        def progress(done: int, last: int) -> None:
            if options["verbosity"] > 1:
                self.stdout.write(f"  … partner ids up to {done} of {last}")

        rows = rebuild(progress=progress)
        self.stdout.write(f"{rows} summary rows written.")
