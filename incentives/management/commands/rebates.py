import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from incentives.simulation import CaseError, simulate


class Command(BaseCommand):
    help = (
        "Rebates (rebates.md §5). `rebates simulate CASE.json`: run the real engine on the case "
        "in a transaction that is rolled back; print the results as JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        simulate_parser = actions.add_parser("simulate", help="simulate a case file")
        simulate_parser.add_argument("case", help="the case file (JSON)")

    def handle(self, *args: object, **options: object) -> None:
        path = Path(str(options["case"]))
        try:
            text = path.read_text(encoding="utf-8")
            output = simulate(text)
        except (OSError, UnicodeDecodeError) as error:
            self.stderr.write(f"rebates simulate: cannot read {path}: {error}")
            sys.exit(2)
        except CaseError as error:
            self.stderr.write(f"rebates simulate: {path}: {error}")
            sys.exit(2)
        self.stdout.write(json.dumps(output, ensure_ascii=False, indent=2))
