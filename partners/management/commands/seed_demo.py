import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dashboards.models import SummaryQueue
from dashboards.summary import rebuild as rebuild_summaries
from incentives.demo import seed_rebates
from maintenance.demo import seed_interactions
from maintenance.services import reconcile_all
from partners.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo
from reviews.demo import seed_reviews
from sales.demo import seed_sales
from support.demo import seed_issues
from surveys.demo import seed_surveys
from tiers.demo import seed_evaluation


class Command(BaseCommand):
    help = (
        "Load demo users for every role and realistic partners with contacts. Deterministic "
        "for a seed (dates relative to today) and idempotent: a second run adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partners", type=int, default=300, help="how many partners")
        parser.add_argument("--seed", type=int, default=1, help="random seed")
        parser.add_argument(
            "--interactions",
            type=int,
            default=0,
            help="also interactions of the last 180 days, and the maintenance tasks (once)",
        )
        parser.add_argument(
            "--sales-lines",
            type=int,
            default=0,
            help="also two years of sales lines for the seed's partners (once)",
        )

    def handle(self, *args: object, **options: int) -> None:
        if min(options["partners"], options["sales_lines"], options["interactions"]) < 0:
            raise CommandError("--partners, --sales-lines and --interactions must be 0 or more")
        started = time.monotonic()

        def progress(count: int) -> None:
            self.stdout.write(f"  {count} written …")

        result = seed_demo(
            partners=options["partners"],
            seed=options["seed"],
            today=timezone.localdate(),
            progress=progress if options["verbosity"] > 1 else None,
        )
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data: {result.users_created} users and {result.partners_created} partners "
                f"created, {result.partners_skipped} already there ({seconds:.1f} s)."
            )
        )
        if options["sales_lines"] > 0:
            started = time.monotonic()
            written = seed_sales(
                seed=options["seed"],
                lines=options["sales_lines"],
                today=timezone.localdate(),
                progress=progress if options["verbosity"] > 1 else None,
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo sales: {written} lines created ({time.monotonic() - started:.1f} s)"
                    if written
                    else "Demo sales: already there."
                )
            )
        if options["interactions"] == 0:
            reconcile_all(today=timezone.localdate())  # the demo partners' maintenance tasks
        if options["interactions"] > 0:
            started = time.monotonic()
            written = seed_interactions(
                seed=options["seed"],
                count=options["interactions"],
                today=timezone.localdate(),
                progress=progress if options["verbosity"] > 1 else None,
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo interactions: {written} created, maintenance tasks planned "
                    f"({time.monotonic() - started:.1f} s)"
                    if written
                    else "Demo interactions: already there."
                )
            )
        closed = seed_reviews(seed=options["seed"], today=timezone.localdate())
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo reviews: this quarter planned, {closed} closed ones in the last quarters."
                if closed
                else "Demo reviews: this quarter planned."
            )
        )
        surveys = seed_surveys(seed=options["seed"], today=timezone.localdate())
        issues = seed_issues(seed=options["seed"], today=timezone.localdate())
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo surveys: {surveys}; demo issues: {issues}, with knowledge articles."
                if surveys or issues
                else "Demo surveys and issues: already there."
            )
        )
        proposals = seed_evaluation(today=timezone.localdate())
        if proposals:
            self.stdout.write(self.style.SUCCESS(f"Demo tier evaluation: {proposals} proposals."))
        statements = seed_rebates(today=timezone.localdate())
        if statements:
            self.stdout.write(self.style.SUCCESS(f"Demo rebate statements: {statements}."))
        # Everything above queued its partners; one rebuild is cheaper than draining the queue.
        started, queued_before = time.monotonic(), timezone.now()
        rows = rebuild_summaries(today=timezone.localdate())
        SummaryQueue.objects.filter(queued_at__lte=queued_before).delete()
        self.stdout.write(
            self.style.SUCCESS(
                f"Dashboard summaries: {rows} rows ({time.monotonic() - started:.1f} s)"
            )
        )
        if result.users_created:
            names = ", ".join(username for username, _name, _role in DEMO_USERS)
            self.stdout.write(f"Demo logins: {names} — password {DEMO_PASSWORD}")
