from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reminders.services import send_pending, sweep


class Command(BaseCommand):
    help = (
        "Record and send the reminder digests: the same code Celery beat runs. With --as-of, "
        "the digests of that whole day (every send hour)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="the day to build")

    def handle(self, *args: object, **options: object) -> None:
        as_of = None
        if options["as_of"]:
            try:
                as_of = date.fromisoformat(str(options["as_of"]))
            except ValueError as error:
                raise CommandError("--as-of takes a date: YYYY-MM-DD") from error
        built = sweep(as_of=as_of)
        sent = send_pending()
        self.stdout.write(
            f"{built['digests']} digests and {built['team_messages']} team messages recorded; "
            f"{sent['sent']} sent, {sent['failed']} failed (retried later)."
        )
